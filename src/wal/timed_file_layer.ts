/**
 * A file layer that times every fdatasync of a journal segment and records it
 * in the `stemedb.wal.fdatasync.duration` histogram, without the writer
 * knowing: the writer syncs through its file layer, so wrapping the layer is
 * the one seam that sees each sync whichever path (blocking or on the thread
 * pool) the writer picks.
 *
 * @module
 */

import { telemetry } from "../telemetry/mod.ts";
import { denoFileLayer, type FileHandle, type FileLayer } from "./file_layer.ts";
import { SEGMENT_EXTENSION } from "./format.ts";

/**
 * A {@linkcode FileLayer} over `inner` that times segment fdatasyncs.
 *
 * @example Time the syncs of a journal
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal, TimedFileLayer } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const fs = new TimedFileLayer();
 * const journal = await Journal.open(dir, { fs });
 * await journal.append(new Uint8Array([1]));
 * assert.ok(fs.syncs >= 1 && fs.lastSyncMs >= 0);
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class TimedFileLayer implements FileLayer {
  #inner: FileLayer;
  #lastSyncMs = 0;
  #syncs = 0;

  /** Wrap `inner` (the real file system by default). */
  constructor(inner: FileLayer = denoFileLayer) {
    this.#inner = inner;
  }

  /** Duration of the latest segment fdatasync, in milliseconds (0 before the first). */
  get lastSyncMs(): number {
    return this.#lastSyncMs;
  }

  /** Segment fdatasyncs timed so far. */
  get syncs(): number {
    return this.#syncs;
  }

  /** Open a file; a segment's handle is timed. */
  async open(path: string, options: Deno.OpenOptions): Promise<FileHandle> {
    const file = await this.#inner.open(path, options);
    return path.endsWith(SEGMENT_EXTENSION) ? this.#timed(file) : file;
  }

  /** Names of the entries of a directory. */
  readDir(path: string): Promise<string[]> {
    return this.#inner.readDir(path);
  }

  /** Remove a file. */
  remove(path: string): Promise<void> {
    return this.#inner.remove(path);
  }

  /** Atomically rename a file. */
  rename(from: string, to: string): Promise<void> {
    return this.#inner.rename(from, to);
  }

  /** Create a directory (and its parents). */
  mkdir(path: string): Promise<void> {
    return this.#inner.mkdir(path);
  }

  /** Size and kind of a path. */
  stat(path: string): Promise<{ size: number; isFile: boolean; isDirectory: boolean }> {
    return this.#inner.stat(path);
  }

  /** fsync a directory. */
  syncDir(path: string): Promise<void> {
    return this.#inner.syncDir(path);
  }

  #took(started: number): void {
    this.#lastSyncMs = performance.now() - started;
    this.#syncs++;
    telemetry.fdatasyncDuration.record(this.#lastSyncMs);
  }

  #timed(file: FileHandle): FileHandle {
    const timed: FileHandle = {
      write: (p) => file.write(p),
      writeSync: (p) => file.writeSync(p),
      read: (p) => file.read(p),
      seek: (offset, whence) => file.seek(offset, whence),
      seekSync: (offset, whence) => file.seekSync(offset, whence),
      syncData: async () => {
        const started = performance.now();
        await file.syncData();
        this.#took(started);
      },
      truncate: (len) => file.truncate(len),
      stat: () => file.stat(),
      tryLock: (exclusive) => file.tryLock(exclusive),
      close: () => file.close(),
    };
    if (file.syncDataSync !== undefined) {
      timed.syncDataSync = () => {
        const started = performance.now();
        file.syncDataSync!();
        this.#took(started);
      };
    }
    return timed;
  }
}
