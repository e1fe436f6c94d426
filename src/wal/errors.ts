/**
 * Typed errors of the journal. Callers catch these by class; messages name the
 * directory, segment file and offset involved.
 *
 * @module
 */

import { META_FILE } from "./format.ts";

/**
 * Base class of every journal error, so callers can catch them all at once.
 *
 * @example Catch any journal error
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal, JournalError } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * await journal.close();
 * await assert.rejects(journal.append(new Uint8Array([1])), JournalError);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class JournalError extends Error {
  /** Construct a journal error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "JournalError";
  }
}

/** What went wrong inside a corrupt record or segment. */
export type CorruptionReason =
  | "torn header"
  | "torn payload"
  | "zero length"
  | "length exceeds maximum"
  | "crc mismatch"
  | "digest mismatch"
  | "missing bytes"
  | "missing segment"
  | "misplaced segment"
  | "bad metadata";

/**
 * The journal holds bytes that fail verification where acknowledged data
 * should be. Sticky for reads: once `read()`, `readFrom()` or `readBatches()`
 * of a Journal has thrown it, every later read of that Journal throws the
 * same error until the journal is reopened (a journal opened `"skip-corrupt"`
 * skips damage instead); appends are not affected. `repairJournal()` is the
 * way past damage in a sealed segment.
 *
 * @example Find where a journal is corrupt
 * ```ts
 * import assert from "node:assert/strict";
 * import { CorruptJournalError, Journal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * await journal.append(new Uint8Array([1, 2, 3]));
 * await journal.close();
 * const path = `${dir}/00000000000000000000.wal`;
 * const bytes = await Deno.readFile(path);
 * bytes[41] ^= 0xff; // a payload byte of the first (acknowledged) record
 * await Deno.writeFile(path, bytes);
 * await assert.rejects(Journal.open(dir, { verify: "full" }), (e: unknown) => {
 *   assert.ok(e instanceof CorruptJournalError);
 *   assert.equal(e.offset, 0);
 *   assert.equal(e.reason, "crc mismatch");
 *   return true;
 * });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class CorruptJournalError extends JournalError {
  /** Segment file (path) holding the corrupt bytes, or the metadata file. */
  readonly file: string;
  /** Global offset of the corrupt record. */
  readonly offset: number;
  /** What failed. */
  readonly reason: CorruptionReason;
  /** Construct a corruption error. */
  constructor(file: string, offset: number, reason: CorruptionReason, options?: ErrorOptions) {
    super(`Corrupt journal record in "${file}" at offset ${offset}: ${reason}`, options);
    this.name = "CorruptJournalError";
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}

/**
 * Another writer holds the journal's exclusive lock.
 *
 * @example A second writer is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal, JournalLockedError } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const first = await Journal.open(dir);
 * await assert.rejects(Journal.open(dir), (e: unknown) => {
 *   assert.ok(e instanceof JournalLockedError);
 *   assert.equal(e.holderPid, Deno.pid); // the holder is this very process
 *   return true;
 * });
 * await first.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class JournalLockedError extends JournalError {
  /** The journal directory. */
  readonly dir: string;
  /** The process holding the lock, as it wrote itself into `LOCK`; `null` when unknown. */
  readonly holderPid: number | null;
  /** Construct a lock error. */
  constructor(dir: string, options?: ErrorOptions & { holderPid?: number | null }) {
    const holderPid = options?.holderPid ?? null;
    const holder = holderPid === null ? "" : ` (pid ${holderPid})`;
    super(`Cannot open journal "${dir}": locked by another writer${holder}`, options);
    this.name = "JournalLockedError";
    this.dir = dir;
    this.holderPid = holderPid;
  }
}

/**
 * A reader (`readOnly: true`) was opened where there is no journal: the
 * directory, or its metadata file, does not exist, as before the first
 * writer opened it there. A reader creates nothing, so it cannot start one.
 *
 * @example Tell "nothing appended yet" from other failures to open
 * ```ts
 * import { Journal, JournalNotFoundError } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Journal.open(`${dir}/wal`, { readOnly: true });
 * } catch (error) {
 *   if (!(error instanceof JournalNotFoundError)) throw error;
 *   console.log("nothing appended yet");
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class JournalNotFoundError extends JournalError {
  /** The journal directory. */
  readonly dir: string;
  /** Construct a not-found error for `dir`. */
  constructor(dir: string) {
    super(`Cannot open journal "${dir}" read-only: no journal there yet (no "${META_FILE}" found)`);
    this.name = "JournalNotFoundError";
    this.dir = dir;
  }
}

/**
 * The journal was closed; reopen it to continue.
 *
 * @example Use after close
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal, JournalClosedError } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * await journal.close();
 * await assert.rejects(journal.read(0), JournalClosedError);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class JournalClosedError extends JournalError {
  /** Construct a closed error. */
  constructor(dir: string) {
    super(`Cannot use journal "${dir}": it is closed`);
    this.name = "JournalClosedError";
  }
}

/**
 * A payload is empty or larger than the journal's maximum record size.
 *
 * @example Empty payloads are refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal, RecordSizeError } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir, { maxRecordBytes: 10 });
 * await assert.rejects(journal.append(new Uint8Array(0)), RecordSizeError);
 * await assert.rejects(journal.append(new Uint8Array(11)), RecordSizeError);
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class RecordSizeError extends JournalError {
  /** The offending payload size in bytes. */
  readonly size: number;
  /** The configured maximum. */
  readonly max: number;
  /** Construct a size error. */
  constructor(size: number, max: number) {
    super(
      size === 0
        ? "Cannot append record: payload is empty"
        : `Cannot append record: payload of ${size} bytes exceeds the maximum of ${max} bytes`,
    );
    this.name = "RecordSizeError";
    this.size = size;
    this.max = max;
  }
}

/**
 * A write, fsync or truncate failed (EIO, ENOSPC, …). The writer is poisoned:
 * every later append fails with this error until the journal is reopened.
 * The bytes already acknowledged stay readable.
 *
 * @example A failed fdatasync poisons the writer
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoFileLayer, type FileLayer, Journal, JournalIOError } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * let fail = false;
 * const fs: FileLayer = {
 *   ...denoFileLayer,
 *   async open(path, options) {
 *     const file = await denoFileLayer.open(path, options);
 *     const syncData = file.syncData.bind(file);
 *     file.syncData = () => fail ? Promise.reject(new Error("EIO (injected)")) : syncData();
 *     return file;
 *   },
 * };
 * const journal = await Journal.open(dir, { fs });
 * fail = true;
 * await assert.rejects(journal.append(new Uint8Array([1])), JournalIOError);
 * fail = false;
 * await assert.rejects(journal.append(new Uint8Array([2])), JournalIOError); // sticky
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class JournalIOError extends JournalError {
  /** Construct an I/O error wrapping the underlying cause. */
  constructor(dir: string, action: string, cause: unknown) {
    super(
      `Journal "${dir}" failed to ${action}: ${cause instanceof Error ? cause.message : cause}`,
      { cause },
    );
    this.name = "JournalIOError";
  }
}

/**
 * An offset does not name the start of a record the journal holds.
 *
 * @example Reading past the end
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal, OffsetError } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * await assert.rejects(journal.read(0), OffsetError); // nothing written yet
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class OffsetError extends JournalError {
  /** The requested offset. */
  readonly offset: number;
  /** Construct an offset error. */
  constructor(offset: number, detail: string) {
    super(`Cannot read offset ${offset}: ${detail}`);
    this.name = "OffsetError";
    this.offset = offset;
  }
}
