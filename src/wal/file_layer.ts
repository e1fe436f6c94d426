/**
 * The file-system layer the journal does all its I/O through. The default is
 * the real file system; tests wrap it to inject faults (EIO on write, ENOSPC,
 * a failing fdatasync) without mocking the journal itself.
 *
 * @module
 */

/**
 * An open file, as the journal uses it.
 *
 * @example Open a file through the layer
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoFileLayer, type FileHandle } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const file: FileHandle = await denoFileLayer.open(`${dir}/x`, { write: true, create: true });
 * assert.equal(file.writeSync(new Uint8Array([1, 2])), 2);
 * file.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface FileHandle {
  /** Write some bytes at the current position; returns how many were written. */
  write(p: Uint8Array): Promise<number>;
  /**
   * Blocking write at the current position. The writer uses it for data bound
   * for the page cache: an async op costs a thread-pool round trip (tens of µs).
   */
  writeSync(p: Uint8Array): number;
  /** Read into `p` at the current position; `null` at end of file. */
  read(p: Uint8Array): Promise<number | null>;
  /** Move the position; returns the new position. */
  seek(offset: number, whence: Deno.SeekMode): Promise<number>;
  /** Blocking seek. */
  seekSync(offset: number, whence: Deno.SeekMode): number;
  /** fdatasync: make the written data (and the size) durable. */
  syncData(): Promise<void>;
  /**
   * Blocking fdatasync, used only when the journal's `blockingSyncMs` allows
   * it. A layer without it is always synced through `syncData()`.
   */
  syncDataSync?(): void;
  /** Cut or extend the file to `len` bytes. */
  truncate(len?: number): Promise<void>;
  /** Size of the file. */
  stat(): Promise<{ size: number }>;
  /** Try to take an advisory lock without waiting; `false` when someone else holds it. */
  tryLock(exclusive: boolean): Promise<boolean>;
  /** Close the handle (releases its lock). */
  close(): void;
}

/**
 * The directory and file operations the journal needs.
 *
 * @example Use the real file system
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoFileLayer, type FileLayer } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const fs: FileLayer = denoFileLayer;
 * await fs.mkdir(`${dir}/sub`);
 * assert.ok((await fs.readDir(dir)).includes("sub"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface FileLayer {
  /** Open a file. */
  open(path: string, options: Deno.OpenOptions): Promise<FileHandle>;
  /** Names of the entries of a directory. */
  readDir(path: string): Promise<string[]>;
  /** Remove a file. */
  remove(path: string): Promise<void>;
  /** Atomically rename a file. */
  rename(from: string, to: string): Promise<void>;
  /** Create a directory (and its parents). */
  mkdir(path: string): Promise<void>;
  /** Size and kind of a path; throws `Deno.errors.NotFound` when absent. */
  stat(path: string): Promise<{ size: number; isFile: boolean; isDirectory: boolean }>;
  /** Make a directory's entries durable: open it read-only and fsync it. */
  syncDir(path: string): Promise<void>;
}

/**
 * The real file system through Deno's APIs.
 *
 * @example Count fdatasyncs by wrapping the real layer
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoFileLayer, type FileLayer, Journal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * let opens = 0;
 * const fs: FileLayer = { ...denoFileLayer, open: (path, options) => (opens++, denoFileLayer.open(path, options)) };
 * const journal = await Journal.open(dir, { fs });
 * await journal.append(new Uint8Array([1]));
 * await journal.close();
 * assert.ok(opens > 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const denoFileLayer: FileLayer = {
  open: (path, options) => Deno.open(path, options),
  async readDir(path) {
    const names: string[] = [];
    for await (const entry of Deno.readDir(path)) names.push(entry.name);
    return names;
  },
  remove: (path) => Deno.remove(path),
  rename: (from, to) => Deno.rename(from, to),
  mkdir: (path) => Deno.mkdir(path, { recursive: true }),
  async stat(path) {
    const info = await Deno.stat(path);
    return { size: info.size, isFile: info.isFile, isDirectory: info.isDirectory };
  },
  async syncDir(path) {
    const dir = await Deno.open(path, { read: true });
    try {
      await dir.sync();
    } finally {
      dir.close();
    }
  },
};

/** Write all of `bytes`, looping over partial writes. */
export async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await file.write(bytes.subarray(done));
}

/** Write all of `bytes` with blocking writes, looping over partial writes. */
export function writeAllSync(file: FileHandle, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}

/** Read until `p` is full or the file ends; returns the bytes read. */
export async function readFull(file: FileHandle, p: Uint8Array): Promise<number> {
  let done = 0;
  while (done < p.length) {
    const n = await file.read(p.subarray(done));
    if (n === null) break;
    done += n;
  }
  return done;
}
