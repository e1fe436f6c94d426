/**
 * The journal: a durable, segmented write-ahead log of opaque records.
 *
 * @module
 */
import { type Hashers, loadHashers } from "./checksums.ts";
import { readHead } from "./durable_head.ts";
import { CorruptionLatch } from "./corruption_latch.ts";
import { DurableListeners } from "./durable_listeners.ts";
import { JournalClosedError } from "./errors.ts";
import {
  type Opened,
  openReader,
  openWriter,
  scanEnd,
  setAside,
  type Settings,
  settings,
} from "./journal_open.ts";
import type { JournalLock } from "./lock.ts";
import type {
  AppendResult,
  JournalOptions,
  JournalRecord,
  ReadFromOptions,
  RecoveryEvent,
  RecoveryReport,
  SegmentInfo,
} from "./options.ts";
import { readBatches, type ReadContext, readRecord, readRecords } from "./reader.ts";
import { SegmentList } from "./segment_list.ts";
import { segmentBases } from "./segment_name.ts";
import type { Writer } from "./writer.ts";

/**
 * A durable, segmented write-ahead log. One writer per directory (an exclusive
 * lock); any number of read-only readers, in this or other processes, that see
 * records up to the durable end the writer publishes.
 *
 * @example Append and read back
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * const { offset } = await journal.append(new TextEncoder().encode("hello"));
 * const record = await journal.read(offset);
 * assert.deepEqual(new TextDecoder().decode(record.payload), "hello");
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class Journal {
  /** The journal directory. */
  readonly dir: string;
  /** Journal id: 32 lowercase hex characters from the metadata file. */
  readonly id: string;
  /** Whether this is a read-only reader. */
  readonly readOnly: boolean;
  /** What `open()` found and did (`null` for a reader). */
  readonly recovery: RecoveryReport | null;
  #s: Settings;
  #h: Hashers;
  #segments: SegmentList;
  #writer: Writer | null;
  #lock: JournalLock | null;
  #durable: number;
  #listeners = new DurableListeners();
  #closed = false;
  #latch: CorruptionLatch;
  #ctx: ReadContext;

  private constructor(dir: string, s: Settings, h: Hashers, o: Opened) {
    this.dir = dir;
    this.id = o.id;
    this.readOnly = s.readOnly;
    this.recovery = o.recovery;
    this.#s = s;
    this.#h = h;
    this.#segments = new SegmentList(o.bases, o.misplaced);
    this.#latch = new CorruptionLatch(s.recovery === "skip-corrupt");
    this.#durable = o.durable;
    this.#writer = o.writer;
    this.#lock = o.lock;
    // deno-lint-ignore no-this-alias
    const self = this;
    this.#ctx = {
      dir,
      fs: s.fs,
      h,
      maxRecordBytes: s.maxRecordBytes,
      skipCorrupt: s.recovery === "skip-corrupt",
      canRefresh: s.readOnly,
      bases: () => self.#segments.readable(),
      limit: () => self.durableOffset,
      refresh: () => self.refresh(),
      assertOpen: () => self.#assertOpen(),
      report: (event: RecoveryEvent) => s.onRecovery?.(event),
    };
  }

  /**
   * Open (creating if needed) the journal in `dir`. A writer takes the lock,
   * runs recovery (see {@linkcode RecoveryMode}) and accepts appends; a reader
   * (`readOnly: true`) takes no lock and writes nothing.
   *
   * @example Open a writer and a reader
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "@stemedb/ingest/wal";
   *
   * const dir = await Deno.makeTempDir();
   * const writer = await Journal.open(dir, { segmentBytes: 1024 * 1024 });
   * await writer.append(new Uint8Array([1, 2, 3]));
   * const reader = await Journal.open(dir, { readOnly: true });
   * assert.deepEqual(reader.durableOffset, writer.durableOffset);
   * await reader.close();
   * await writer.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  static async open(dir: string, options: JournalOptions = {}): Promise<Journal> {
    const s = settings(options);
    const h = await loadHashers();
    const o = s.readOnly ? await openReader(dir, s, h) : await openWriter(dir, s, h);
    return new Journal(dir, s, h, o);
  }

  /**
   * End of durable data: the writer's in memory, a reader's as of its last
   * refresh. Readers never return bytes at or past it.
   *
   * @example Watch the durable end move
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "@stemedb/ingest/wal";
   *
   * const dir = await Deno.makeTempDir();
   * const journal = await Journal.open(dir);
   * const { next } = await journal.append(new Uint8Array([1]));
   * assert.equal(journal.durableOffset, next);
   * await journal.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  get durableOffset(): number {
    return this.#writer !== null ? this.#writer.durableOffset : this.#durable;
  }

  /**
   * Whether `close()` has been called: every later call fails with JournalClosedError.
   *
   * @example Tell a closed journal
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "@stemedb/ingest/wal";
   *
   * const dir = await Deno.makeTempDir();
   * const journal = await Journal.open(dir);
   * await journal.close();
   * assert.equal(journal.closed, true);
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Base offset of the oldest segment still present: where a full read starts.
   *
   * @example Start reading at the first offset
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "@stemedb/ingest/wal";
   *
   * const dir = await Deno.makeTempDir();
   * const journal = await Journal.open(dir);
   * assert.equal(journal.firstOffset, 0);
   * await journal.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  get firstOffset(): number {
    const { bases } = this.#segments;
    return bases.length > 0 ? bases[0] : this.durableOffset;
  }

  /**
   * Append one payload; resolves once durable (per the durability mode) with
   * its offset, the next offset and its BLAKE3-256 digest. Concurrent appends
   * share group commits and get offsets in call order. Rejects with
   * RecordSizeError (empty or too large; nothing written), JournalIOError (the
   * write or sync failed; the writer is poisoned until reopened) or
   * JournalClosedError. The payload is read when its group is written: do not
   * modify it until the promise settles.
   *
   * @example Append a record
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "@stemedb/ingest/wal";
   *
   * const dir = await Deno.makeTempDir();
   * const journal = await Journal.open(dir);
   * const first = await journal.append(new Uint8Array([1]));
   * const second = await journal.append(new Uint8Array([2]));
   * assert.deepEqual(second.offset, first.next);
   * await journal.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  append(payload: Uint8Array): Promise<AppendResult> {
    try {
      return this.#writerOrThrow().append(payload);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Append payloads contiguously in one group commit: one write and one
   * fdatasync (more only where the batch crosses a segment boundary). Every
   * payload is checked first; if one is empty or too large nothing is written.
   * The payloads are read when the group is written: do not modify them until
   * the promise settles.
   *
   * @example Append a batch
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "@stemedb/ingest/wal";
   *
   * const dir = await Deno.makeTempDir();
   * const journal = await Journal.open(dir);
   * const results = await journal.appendBatch([new Uint8Array([1]), new Uint8Array([2])]);
   * assert.equal(results[1].offset, results[0].next);
   * await journal.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  appendBatch(payloads: Uint8Array[]): Promise<AppendResult[]> {
    try {
      return this.#writerOrThrow().appendBatch(payloads);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Read the record starting at `offset` and verify its length and CRC.
   * Throws OffsetError when `offset` is not the start of a durable record the
   * journal holds, CorruptJournalError (naming file and offset) when it fails
   * verification.
   *
   * @example Read one record
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "@stemedb/ingest/wal";
   *
   * const dir = await Deno.makeTempDir();
   * const journal = await Journal.open(dir);
   * const { offset } = await journal.append(new TextEncoder().encode("hi"));
   * const record = await journal.read(offset);
   * assert.equal(new TextDecoder().decode(record.payload), "hi");
   * await journal.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async read(offset: number): Promise<JournalRecord> {
    this.#assertOpen();
    this.#latch.check();
    try {
      return await readRecord(this.#ctx, offset);
    } catch (e) {
      throw this.#latch.note(e);
    }
  }

  /**
   * Records from `offset` in order up to the durable end (a reader refreshes
   * once when it reaches the end it knows), across segment rotations; never
   * non-durable bytes. Streams segment files in large chunks; each payload is
   * a copy the caller owns.
   *
   * @example Iterate over the journal
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "@stemedb/ingest/wal";
   *
   * const dir = await Deno.makeTempDir();
   * const journal = await Journal.open(dir);
   * await journal.appendBatch([new Uint8Array([1]), new Uint8Array([2])]);
   * const seen = [];
   * for await (const record of journal.readFrom(journal.firstOffset)) seen.push(record.payload[0]);
   * assert.deepEqual(seen, [1, 2]);
   * await journal.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  readFrom(offset: number, options?: ReadFromOptions): AsyncIterableIterator<JournalRecord> {
    this.#assertOpen();
    return this.#latch.guard(readRecords(this.#ctx, offset, options));
  }

  /**
   * Records from `offset` as `readFrom()` reads them (the same order, bounds,
   * refresh, sticky errors and skip-corrupt reports), handed out a batch at a
   * time: the records the read buffer holds (up to its 1 MiB), verified in one
   * synchronous pass, with no promise per record. Their payloads and digests
   * are views into read buffers the journal never writes over: valid for good,
   * but each keeps its buffer alive; copy what you keep for long. An error or
   * a skip met after some records of a buffer comes with the next batch.
   *
   * @example Read in batches
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "@stemedb/ingest/wal";
   *
   * const dir = await Deno.makeTempDir();
   * const journal = await Journal.open(dir);
   * await journal.appendBatch([new Uint8Array([1]), new Uint8Array([2])]);
   * const seen = [];
   * for await (const batch of journal.readBatches(journal.firstOffset)) {
   *   for (const record of batch) seen.push(record.payload[0]);
   * }
   * assert.deepEqual(seen, [1, 2]);
   * await journal.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  readBatches(offset: number, options?: ReadFromOptions): AsyncIterableIterator<JournalRecord[]> {
    this.#assertOpen();
    return this.#latch.guard(readBatches(this.#ctx, offset, { ...options, keep: true }));
  }

  /**
   * Re-read the published durable end and then the segment list (a reader);
   * returns `durableOffset`. On the writer it just returns `durableOffset`.
   *
   * @example A reader catches up
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "@stemedb/ingest/wal";
   *
   * const dir = await Deno.makeTempDir();
   * const writer = await Journal.open(dir);
   * const reader = await Journal.open(dir, { readOnly: true });
   * const { next } = await writer.append(new Uint8Array([1]));
   * assert.equal(await reader.refresh(), next);
   * await reader.close();
   * await writer.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async refresh(): Promise<number> {
    this.#assertOpen();
    if (this.#writer !== null) return this.#writer.durableOffset;
    const { fs } = this.#s;
    // The durable end first, then the listing: a segment holding bytes below the
    // end was created before the end was published, so the listing includes it.
    const head = await readHead(fs, this.#h, this.dir);
    const bases = segmentBases(await fs.readDir(this.dir));
    this.#segments.replace(bases, await setAside(this.dir, this.#s, bases));
    const before = this.#durable;
    this.#durable = head ?? await scanEnd(this.dir, this.#s, this.#h, bases, this.#durable);
    if (this.#durable > before) {
      this.#listeners.notify(this.#durable);
    }
    return this.#durable;
  }

  /**
   * Call `listener` with the new durable end each time it moves: on a writer
   * right after the sync that made a group commit durable, on a reader when a
   * `refresh()` sees it move. An in-process, zero-latency wake-up for tailers
   * such as the ingestor (other processes watch the directory instead).
   * Returns the function that removes the listener. A listener that throws is
   * reported with `reportError` and never disturbs the journal.
   *
   * @example Wake a tailer when records become durable
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "@stemedb/ingest/wal";
   *
   * const dir = await Deno.makeTempDir();
   * const journal = await Journal.open(dir);
   * const seen: number[] = [];
   * const unsubscribe = journal.onDurable((end) => seen.push(end));
   * const { next } = await journal.append(new Uint8Array([1]));
   * assert.deepEqual(seen, [next]);
   * unsubscribe();
   * await journal.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  onDurable(listener: (durableEnd: number) => void): () => void {
    this.#assertOpen();
    if (this.#writer !== null) return this.#writer.listen(listener);
    return this.#listeners.add(listener);
  }

  /**
   * Delete the sealed segments lying wholly below `offset` (end <= offset),
   * never the active segment and never data at or past `offset`; fsyncs the
   * directory; returns how many were deleted. A reader throws TypeError.
   *
   * @example Clean up consumed segments
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "@stemedb/ingest/wal";
   *
   * const dir = await Deno.makeTempDir();
   * const journal = await Journal.open(dir, { segmentBytes: 100 });
   * for (let i = 0; i < 5; i++) await journal.append(new Uint8Array(50));
   * const removed = await journal.removeSegmentsBefore(journal.durableOffset);
   * assert.equal((await journal.segments()).length, 1);
   * assert.ok(removed > 0);
   * await journal.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async removeSegmentsBefore(offset: number): Promise<number> {
    this.#assertOpen();
    if (this.#writer === null) {
      throw new TypeError(`Cannot remove segments of journal "${this.dir}": it is open read-only`);
    }
    return await this.#segments.removeBelow(offset, { dir: this.dir, fs: this.#s.fs });
  }

  /**
   * The segment files, oldest first, with their base and end offsets.
   *
   * @example List segments
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "@stemedb/ingest/wal";
   *
   * const dir = await Deno.makeTempDir();
   * const journal = await Journal.open(dir);
   * const [active] = await journal.segments();
   * assert.equal(active.base, 0);
   * assert.equal(active.sealed, false);
   * await journal.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async segments(): Promise<SegmentInfo[]> {
    this.#assertOpen();
    if (this.#writer === null) await this.refresh();
    const last = this.#writer !== null ? this.#writer.writtenOffset : this.durableOffset;
    return this.#segments.infos(this.dir, last);
  }

  /**
   * Wait for in-flight flushes, sync what is written, release the lock and
   * close every handle (and the hashing worker). Always close a writer: an open
   * one keeps its lock, its worker and its timer alive.
   *
   * @example Close a journal
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "@stemedb/ingest/wal";
   *
   * const dir = await Deno.makeTempDir();
   * const journal = await Journal.open(dir);
   * await journal.close();
   * await journal.close(); // idempotent
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#writer?.close();
    } finally {
      this.#lock?.release();
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new JournalClosedError(this.dir);
  }

  #writerOrThrow(): Writer {
    if (this.#closed) throw new JournalClosedError(this.dir);
    if (this.#writer === null) {
      throw new TypeError(`Cannot append to journal "${this.dir}": it is open read-only`);
    }
    return this.#writer;
  }
}
