/**
 * The journal: a durable, segmented write-ahead log of opaque records.
 *
 * @module
 */
import { type Hashers, loadHashers } from "./checksums.ts";
import { HeadWriter, readHead } from "./durable_head.ts";
import { CorruptJournalError, JournalClosedError, JournalError, JournalIOError } from "./errors.ts";
import { denoFileLayer } from "./file_layer.ts";
import {
  DEFAULT_GROUP_COMMIT_BYTES,
  DEFAULT_MAX_RECORD_BYTES,
  DEFAULT_SEGMENT_BYTES,
  FORMAT_VERSION,
  HEADER_SIZE,
  MAX_LEN_FIELD,
  META_FILE,
} from "./format.ts";
import { acquireLock, type JournalLock } from "./lock.ts";
import { newJournalId, readMeta, writeMeta } from "./metadata.ts";
import type {
  AppendResult,
  JournalOptions,
  JournalRecord,
  ReadFromOptions,
  RecoveryEvent,
  RecoveryReport,
  SegmentInfo,
} from "./options.ts";
import { type ReadContext, readRecord, readRecords } from "./reader.ts";
import { recover } from "./recovery.ts";
import { segmentBases, segmentName } from "./segment_name.ts";
import { SegmentScanner } from "./segment_scanner.ts";
import { Writer } from "./writer.ts";

type Settings = Required<Omit<JournalOptions, "onRecovery">> & Pick<JournalOptions, "onRecovery">;

function settings(options: JournalOptions): Settings {
  const s: Settings = {
    readOnly: options.readOnly ?? false,
    segmentBytes: options.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
    maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    groupCommitBytes: options.groupCommitBytes ?? DEFAULT_GROUP_COMMIT_BYTES,
    durability: options.durability ?? "always",
    syncIntervalMs: options.syncIntervalMs ?? 100,
    recovery: options.recovery ?? "tolerate-torn-tail",
    verify: options.verify ?? "tail",
    fs: options.fs ?? denoFileLayer,
    onRecovery: options.onRecovery,
  };
  for (
    const key of ["segmentBytes", "maxRecordBytes", "groupCommitBytes", "syncIntervalMs"] as const
  ) {
    if (!Number.isSafeInteger(s[key]) || s[key] <= 0) {
      throw new RangeError(
        `Cannot open journal: option "${key}" must be a positive integer, got "${s[key]}"`,
      );
    }
  }
  if (s.maxRecordBytes > MAX_LEN_FIELD - HEADER_SIZE) {
    throw new RangeError(
      `Cannot open journal: option "maxRecordBytes" exceeds "${MAX_LEN_FIELD - HEADER_SIZE}"`,
    );
  }
  if (!["always", "interval", "none"].includes(s.durability)) {
    throw new RangeError(`Cannot open journal: unknown durability "${s.durability}"`);
  }
  if (!["tolerate-torn-tail", "absolute", "point-in-time", "skip-corrupt"].includes(s.recovery)) {
    throw new RangeError(`Cannot open journal: unknown recovery mode "${s.recovery}"`);
  }
  if (s.verify !== "tail" && s.verify !== "full") {
    throw new RangeError(`Cannot open journal: unknown verify "${s.verify}"`);
  }
  return s;
}

/**
 * A durable, segmented write-ahead log. One writer per directory (an exclusive
 * lock); any number of read-only readers, in this or other processes, that see
 * records up to the durable end the writer publishes.
 *
 * @example Append and read back
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "./journal.ts";
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
  #bases: number[];
  #writer: Writer | null;
  #lock: JournalLock | null;
  #durable: number;
  #closed = false;
  #ctx: ReadContext;

  private constructor(
    dir: string,
    id: string,
    s: Settings,
    h: Hashers,
    bases: number[],
    durable: number,
    writer: Writer | null,
    lock: JournalLock | null,
    recovery: RecoveryReport | null,
  ) {
    this.dir = dir;
    this.id = id;
    this.readOnly = s.readOnly;
    this.recovery = recovery;
    this.#s = s;
    this.#h = h;
    this.#bases = bases;
    this.#durable = durable;
    this.#writer = writer;
    this.#lock = lock;
    // deno-lint-ignore no-this-alias
    const self = this;
    this.#ctx = {
      dir,
      fs: s.fs,
      h,
      maxRecordBytes: s.maxRecordBytes,
      skipCorrupt: s.recovery === "skip-corrupt",
      canRefresh: s.readOnly,
      bases: () => self.#bases,
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
   * import { Journal } from "./journal.ts";
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
    return new Journal(dir, o.id, s, h, o.bases, o.durable, o.writer, o.lock, o.recovery);
  }

  /** End of durable data: the writer's in memory, a reader's as of its last refresh. */
  get durableOffset(): number {
    return this.#writer !== null ? this.#writer.durableOffset : this.#durable;
  }

  /** Base offset of the oldest segment still present. */
  get firstOffset(): number {
    return this.#bases.length > 0 ? this.#bases[0] : this.durableOffset;
  }

  /**
   * Append one payload; resolves once durable (per the durability mode) with
   * its offset, the next offset and its BLAKE3-256 digest.
   *
   * @example Append a record
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "./journal.ts";
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

  /** Append payloads contiguously with one write and one fdatasync. */
  appendBatch(payloads: Uint8Array[]): Promise<AppendResult[]> {
    try {
      return this.#writerOrThrow().appendBatch(payloads);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Read and verify the record at `offset` (OffsetError / CorruptJournalError). */
  async read(offset: number): Promise<JournalRecord> {
    this.#assertOpen();
    return await readRecord(this.#ctx, offset);
  }

  /**
   * Records from `offset` in order up to the durable end (a reader refreshes
   * once when it reaches the end it knows); never non-durable bytes.
   */
  readFrom(offset: number, options?: ReadFromOptions): AsyncIterableIterator<JournalRecord> {
    this.#assertOpen();
    return readRecords(this.#ctx, offset, options);
  }

  /** Re-read the published durable end and the segment list; returns durableOffset. */
  async refresh(): Promise<number> {
    this.#assertOpen();
    if (this.#writer !== null) return this.#writer.durableOffset;
    const { fs } = this.#s;
    // The durable end first, then the listing: a segment holding bytes below the
    // end was created before the end was published, so the listing includes it.
    const head = await readHead(fs, this.#h, this.dir);
    this.#bases = segmentBases(await fs.readDir(this.dir));
    this.#durable = head ?? await scanEnd(this.dir, this.#s, this.#h, this.#bases, this.#durable);
    return this.#durable;
  }

  /** Delete sealed segments lying wholly below `offset`; returns how many. */
  async removeSegmentsBefore(offset: number): Promise<number> {
    this.#assertOpen();
    if (this.#writer === null) {
      throw new TypeError(`Cannot remove segments of journal "${this.dir}": it is open read-only`);
    }
    let n = 0;
    while (n < this.#bases.length - 1 && this.#bases[n + 1] <= offset) n++;
    if (n === 0) return 0;
    const removed = this.#bases.splice(0, n);
    try {
      for (const base of removed) await this.#s.fs.remove(`${this.dir}/${segmentName(base)}`);
      await this.#s.fs.syncDir(this.dir);
    } catch (e) {
      throw new JournalIOError(this.dir, "remove segments", e);
    }
    return n;
  }

  /** The segment files, oldest first. */
  async segments(): Promise<SegmentInfo[]> {
    this.#assertOpen();
    if (this.#writer === null) await this.refresh();
    const bases = this.#bases;
    const last = this.#writer !== null ? this.#writer.writtenOffset : this.durableOffset;
    return bases.map((base, i) => ({
      base,
      end: i + 1 < bases.length ? bases[i + 1] : Math.max(base, last),
      path: `${this.dir}/${segmentName(base)}`,
      sealed: i + 1 < bases.length,
    }));
  }

  /** Wait for in-flight flushes, sync, release the lock and close every handle. */
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

/** What the open helpers hand to the constructor. */
interface Opened {
  id: string;
  bases: number[];
  durable: number;
  writer: Writer | null;
  lock: JournalLock | null;
  recovery: RecoveryReport | null;
}

async function openWriter(dir: string, s: Settings, h: Hashers): Promise<Opened> {
  const { fs } = s;
  await fs.mkdir(dir);
  const lock = await acquireLock(fs, dir);
  try {
    let meta = await readMeta(fs, dir);
    let bases = segmentBases(await fs.readDir(dir));
    if (meta === null) {
      if (bases.length > 0) throw new CorruptJournalError(`${dir}/${META_FILE}`, 0, "bad metadata");
      meta = { version: FORMAT_VERSION, id: newJournalId() };
      await writeMeta(fs, dir, meta);
    }
    if (bases.length === 0) {
      const file = await fs.open(`${dir}/${segmentName(0)}`, { write: true, create: true });
      file.close();
      await fs.syncDir(dir);
      bases = [0];
    }
    const head = await readHead(fs, h, dir);
    const result = await recover({
      fs,
      h,
      dir,
      bases,
      head,
      mode: s.recovery,
      verify: s.verify,
      maxRecordBytes: s.maxRecordBytes,
      onRecovery: s.onRecovery,
    });
    bases = result.bases;
    const last = bases[bases.length - 1];
    const active = await fs.open(`${dir}/${segmentName(last)}`, { read: true, write: true });
    let headWriter: HeadWriter | null = null;
    try {
      await active.seek(result.lastSize, Deno.SeekMode.Start);
      // What the scan accepted past the old durable end may sit only in the page cache.
      await active.syncData();
      headWriter = await HeadWriter.open(fs, h, dir);
      await headWriter.publishDurably(result.report.end);
    } catch (e) {
      active.close();
      headWriter?.close();
      throw e;
    }
    const writer = new Writer({
      fs,
      h,
      dir,
      bases,
      active,
      activeSize: result.lastSize,
      head: headWriter,
      segmentBytes: s.segmentBytes,
      maxRecordBytes: s.maxRecordBytes,
      groupCommitBytes: s.groupCommitBytes,
      durability: s.durability,
      syncIntervalMs: s.syncIntervalMs,
    });
    return {
      id: meta.id,
      bases,
      durable: result.report.end,
      writer,
      lock,
      recovery: result.report,
    };
  } catch (e) {
    lock.release();
    throw e;
  }
}

async function openReader(dir: string, s: Settings, h: Hashers): Promise<Opened> {
  const { fs } = s;
  const meta = await readMeta(fs, dir);
  if (meta === null) {
    throw new JournalError(`Cannot open journal "${dir}" read-only: no "${META_FILE}" found`);
  }
  const head = await readHead(fs, h, dir); // before the listing, as in refresh()
  const bases = segmentBases(await fs.readDir(dir));
  const durable = head ?? await scanEnd(dir, s, h, bases, 0);
  return { id: meta.id, bases, durable, writer: null, lock: null, recovery: null };
}

/**
 * A reader's fallback when the durable end is unknown: the end of the valid
 * records of the last segment, scanning from `from` (or its base).
 */
async function scanEnd(dir: string, s: Settings, h: Hashers, bases: number[], from: number) {
  if (bases.length === 0) return from;
  const base = bases[bases.length - 1];
  let file;
  try {
    file = await s.fs.open(`${dir}/${segmentName(base)}`, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return from;
    throw e;
  }
  try {
    const scanner = new SegmentScanner(file, h, {
      start: from > base ? from - base : 0,
      limit: Infinity,
      maxRecordBytes: s.maxRecordBytes,
      verify: "crc",
      chunkBytes: 1024 * 1024,
    });
    while ((await scanner.next()).kind === "record");
    return base + scanner.position;
  } finally {
    file.close();
  }
}
