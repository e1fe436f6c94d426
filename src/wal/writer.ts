/**
 * The group-commit writer. Appends queue; one flusher loop takes everything
 * queued (capped at groupCommitBytes, at least one entry), encodes it into one
 * reused buffer (payloads placed first, then digests and CRCs sealed in place,
 * large groups on two cores), writes it with one write and one fdatasync,
 * publishes the durable end, then resolves every append in call order. There
 * is no await per record: only per group.
 *
 * Fair scheduling (flush_schedule.ts): whatever the mode and the load, the
 * flusher goes through the event loop at least every TURN_MS, so timers fire,
 * I/O is served and the interval sync runs on time.
 *
 * @module
 */
import { JournalClosedError, JournalIOError, RecordSizeError } from "./errors.ts";
import type { Hashers } from "./checksums.ts";
import type { HeadWriter } from "./durable_head.ts";
import { DurableListeners } from "./durable_listeners.ts";
import { type FileHandle, type FileLayer, writeAll, writeAllSync } from "./file_layer.ts";
import { DIGEST_OFFSET, DIGEST_SIZE, HEADER_SIZE } from "./format.ts";
import type { AppendResult } from "./options.ts";
import { placeRecord } from "./record_codec.ts";
import { FlushSchedule, type FlushScheduleInit } from "./flush_schedule.ts";
import { ParallelSealer } from "./parallel_sealer.ts";
import { segmentName } from "./segment_name.ts";

interface Entry {
  /** A single append's payload, or null for a batch. */
  one: Uint8Array | null;
  /** A batch's payloads. */
  many: Uint8Array[] | null;
  /** Encoded size of the entry. */
  bytes: number;
  /** Settles the append (one result) or the batch (an array). */
  resolve: (value: AppendResult & AppendResult[]) => void;
  /** Rejects the append or batch. */
  reject: (error: unknown) => void;
}

/** Settings of a Writer (with those of its flush schedule). */
export interface WriterInit extends FlushScheduleInit {
  /** File layer. */
  fs: FileLayer;
  /** Checksums. */
  h: Hashers;
  /** Journal directory. */
  dir: string;
  /** Segment bases, shared with the journal (the writer appends on rotation). */
  bases: number[];
  /** The active segment, open for writing at its end. */
  active: FileHandle;
  /** Bytes in the active segment. */
  activeSize: number;
  /** Durable-end publisher. */
  head: HeadWriter;
  /** Rotation size. */
  segmentBytes: number;
  /** Largest payload. */
  maxRecordBytes: number;
  /** Group commit cap. */
  groupCommitBytes: number;
  /** Zero-filled space kept ahead of the last record (0: none). */
  preallocateBytes: number;
}

/** Microtask turns the flusher waits so concurrent appenders can join a group. */
const GATHER_TURNS = 4;

/** Appends records with group commit; owned by a writer Journal. */
export class Writer {
  #init: WriterInit;
  #active: FileHandle;
  #activeSize: number;
  /** Size of the active file: records, then zero-filled space. */
  #allocated: number;
  /** A zero fill failed in the active segment: no more until the next one. */
  #preallocateOff = false;
  #written: number;
  #durable: number;
  /** End of what an fdatasync has covered (behind #durable with durability "none"). */
  #synced: number;
  #schedule: FlushSchedule;
  #queue: Entry[] = [];
  #buf: Uint8Array;
  #loop: Promise<void> | null = null;
  #syncWanted = false;
  #failure: JournalIOError | null = null;
  #closed = false;
  #sealer: ParallelSealer;
  #listeners = new DurableListeners();

  /** Start a writer over a recovered, synced active segment. */
  constructor(init: WriterInit) {
    this.#init = init;
    this.#active = init.active;
    this.#activeSize = init.activeSize;
    this.#allocated = init.activeSize;
    this.#written = init.bases[init.bases.length - 1] + init.activeSize;
    this.#durable = this.#written;
    this.#synced = this.#written;
    this.#buf = sharedBytes(Math.min(init.groupCommitBytes, 64 * 1024) + HEADER_SIZE);
    this.#sealer = new ParallelSealer(init.h);
    this.#schedule = new FlushSchedule(init, () => {
      if (this.#written > this.#synced) {
        this.#syncWanted = true;
        this.#kick();
      }
    });
  }

  /** End of data the writer has made durable and published. */
  get durableOffset(): number {
    return this.#durable;
  }

  /** End of data written (durable or not). */
  get writtenOffset(): number {
    return this.#written;
  }

  /** Size of the active segment as written. */
  get activeSize(): number {
    return this.#activeSize;
  }

  /** Append one payload. */
  append(payload: Uint8Array): Promise<AppendResult> {
    const refusal = this.#refuse(payload);
    if (refusal !== null) return Promise.reject(refusal);
    return new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({
        one: payload,
        many: null,
        bytes: HEADER_SIZE + payload.length,
        resolve: resolve as Entry["resolve"],
        reject,
      });
      this.#kick();
    });
  }

  /** Append payloads contiguously in one group. */
  appendBatch(payloads: Uint8Array[]): Promise<AppendResult[]> {
    let bytes = 0;
    for (const payload of payloads) {
      const refusal = this.#refuse(payload);
      if (refusal !== null) return Promise.reject(refusal);
      bytes += HEADER_SIZE + payload.length;
    }
    if (payloads.length === 0) return Promise.resolve([]);
    return new Promise<AppendResult[]>((resolve, reject) => {
      this.#queue.push({
        one: null,
        many: payloads,
        bytes,
        resolve: resolve as Entry["resolve"],
        reject,
      });
      this.#kick();
    });
  }

  /**
   * Sync and publish what is written, wait for queued appends, stop the timers.
   * Does not close files: the journal does that after removing nothing else.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#schedule.stop();
    while (this.#loop !== null) await this.#loop;
    let error: JournalIOError | null = null;
    // A clean close makes everything written durable, whatever the mode, and
    // leaves no preallocated space behind.
    const trim = this.#allocated > this.#activeSize;
    if (this.#failure === null && (this.#written > this.#synced || trim)) {
      try {
        if (trim) await this.#trim();
        await this.#syncPublish();
      } catch (e) {
        error = this.#failure = new JournalIOError(this.#init.dir, "sync on close", e);
      }
    }
    this.#sealer.close();
    this.#active.close();
    this.#init.head.close();
    // An earlier failure was already reported to the appends it affected.
    if (error !== null) throw error;
  }

  #refuse(payload: Uint8Array): Error | null {
    if (this.#closed) return new JournalClosedError(this.#init.dir);
    if (this.#failure !== null) return this.#failure;
    if (!(payload instanceof Uint8Array)) {
      return new TypeError(`Cannot append record: payload is not a Uint8Array`);
    }
    if (payload.length === 0 || payload.length > this.#init.maxRecordBytes) {
      return new RecordSizeError(payload.length, this.#init.maxRecordBytes);
    }
    return null;
  }

  #kick(): void {
    if (this.#loop !== null) return;
    this.#loop = this.#run().finally(() => {
      this.#loop = null;
      // Work may have arrived while the loop was finishing.
      if (this.#queue.length > 0 || this.#syncWanted) this.#kick();
      else if (!this.#closed) this.#schedule.idle();
    });
  }

  async #run(): Promise<void> {
    while (true) {
      for (let i = 0; i < GATHER_TURNS; i++) await null;
      if (this.#failure !== null) {
        this.#rejectAll(this.#queue.splice(0), this.#failure);
        this.#syncWanted = false;
        return;
      }
      // A due interval sync goes before the next group: under a saturating
      // appender the queue is never empty, and the sync must not wait for it.
      if (this.#syncWanted || this.#schedule.intervalDue(this.#written > this.#synced)) {
        this.#syncWanted = false;
        try {
          await this.#syncPublish();
        } catch (e) {
          this.#failure ??= new JournalIOError(this.#init.dir, "sync segment", e);
        }
      } else if (this.#queue.length > 0) {
        const group = this.#takeGroup();
        try {
          await this.#flushGroup(group);
        } catch (e) {
          // Not an I/O error (those are handled inside): still never leave an append hanging.
          this.#failure ??= new JournalIOError(this.#init.dir, "flush a group", e);
          this.#rejectAll(group, this.#failure);
        }
      } else {
        return;
      }
    }
  }

  #takeGroup(): Entry[] {
    const cap = this.#init.groupCommitBytes;
    let bytes = 0;
    let n = 0;
    while (n < this.#queue.length && (n === 0 || bytes + this.#queue[n].bytes <= cap)) {
      bytes += this.#queue[n].bytes;
      n++;
    }
    if (n === this.#queue.length) {
      const group = this.#queue;
      this.#queue = [];
      return group;
    }
    return this.#queue.splice(0, n);
  }

  async #flushGroup(group: Entry[]): Promise<void> {
    let total = 0;
    for (const entry of group) total += entry.bytes;
    if (this.#buf.length < total) {
      this.#buf = sharedBytes(
        Math.max(total, Math.min(this.#init.groupCommitBytes, this.#buf.length * 2)),
      );
    }
    const buf = this.#buf;
    const segmentBytes = this.#init.segmentBytes;
    const start = this.#written;
    const splits: number[] = [];
    const starts: number[] = [];
    const results: (AppendResult | AppendResult[])[] = new Array(group.length);
    // One buffer for every digest of the group; each result gets a view of it.
    const digests = new ArrayBuffer(DIGEST_SIZE * this.#countRecords(group));
    let segPos = this.#activeSize;
    let at = 0;
    for (let g = 0; g < group.length; g++) {
      const entry = group[g];
      const payloads = entry.many;
      const count = payloads === null ? 1 : payloads.length;
      const batch: AppendResult[] | null = payloads === null ? null : new Array(count);
      // A loop, not a closure per group: the positions stay in registers.
      for (let i = 0; i < count; i++) {
        const payload = payloads === null ? entry.one! : payloads[i];
        const size = HEADER_SIZE + payload.length;
        if (segPos > 0 && segPos + size > segmentBytes) {
          splits.push(at);
          segPos = 0;
        }
        const result: AppendResult = {
          offset: start + at,
          next: start + at + size,
          digest: new Uint8Array(digests, starts.length * DIGEST_SIZE, DIGEST_SIZE),
        };
        starts.push(at);
        at = placeRecord(payload, buf, at);
        segPos += size;
        if (batch === null) results[g] = result;
        else batch[i] = result;
      }
      if (batch !== null) results[g] = batch;
    }
    let action = "seal records";
    try {
      if (!this.#sealer.seal(buf, starts, at)) {
        // An abandoned worker may still write into this buffer: the next group gets a new one.
        this.#buf = sharedBytes(buf.length);
      }
      // Byte by byte: 32 bytes copy faster than a subarray view per record costs.
      const out = new Uint8Array(digests);
      for (let i = 0, o = 0; i < starts.length; i++) {
        const from = starts[i] + DIGEST_OFFSET;
        for (let b = 0; b < DIGEST_SIZE; b++) out[o++] = buf[from + b];
      }
      action = "write segment";
      let from = 0;
      for (const split of splits) {
        if (split > from) await this.#write(buf.subarray(from, split));
        action = "rotate segment";
        await this.#rotate(start + split);
        action = "write segment";
        from = split;
      }
      await this.#write(buf.subarray(from, at));
      this.#written = start + at;
      const mode = this.#init.durability;
      if (mode === "always") {
        action = "sync segment";
        await this.#syncActive();
        this.#synced = this.#written;
      }
      if (mode !== "interval") {
        action = "publish durable end";
        this.#publish(this.#written);
      }
    } catch (e) {
      this.#failure ??= new JournalIOError(this.#init.dir, action, e);
      this.#rejectAll(group, this.#failure);
      return;
    }
    if (buf.length > 2 * this.#init.groupCommitBytes + HEADER_SIZE) {
      // A huge batch grew the buffer: do not keep that much memory for good.
      this.#buf = sharedBytes(this.#init.groupCommitBytes + HEADER_SIZE);
    }
    for (let g = 0; g < group.length; g++) {
      group[g].resolve(results[g] as AppendResult & AppendResult[]);
    }
  }

  async #write(bytes: Uint8Array): Promise<void> {
    const end = this.#activeSize + bytes.length;
    if (end > this.#allocated) this.#preallocate(end);
    if (this.#schedule.turnDue) {
      // The flusher's turn: the event loop polls I/O while the thread pool writes.
      await writeAll(this.#active, bytes);
      await this.#schedule.turn();
    } else {
      // A blocking write: it only copies into the page cache, and an async op
      // would cost a thread-pool round trip per group.
      writeAllSync(this.#active, bytes);
    }
    this.#activeSize = end;
    this.#allocated = Math.max(this.#allocated, end);
  }

  /**
   * Zero-fill from the file's end to `preallocateBytes` past `end` (at most to
   * `segmentBytes`), so the fdatasyncs of the next groups overwrite allocated
   * blocks instead of growing the file: on ext4 and XFS a sync that commits
   * no size change costs about half as much. The zeros are made durable by
   * the same fdatasync as the group that asked for them; recovery reads zeros
   * past the last record as the segment's end.
   *
   * Best effort: a failed zero write (ENOSPC a megabyte before the disk is
   * really full) leaves only zeros behind, which are harmless wherever they
   * stop, so it turns preallocation off until the next segment and lets the
   * group's own write decide whether the append succeeds.
   */
  #preallocate(end: number): void {
    const { preallocateBytes, segmentBytes } = this.#init;
    const target = Math.min(segmentBytes, end + preallocateBytes);
    if (preallocateBytes === 0 || target <= end || this.#preallocateOff) return;
    const from = Math.max(this.#allocated, end);
    try {
      this.#active.seekSync(from, Deno.SeekMode.Start);
      for (let at = from; at < target; at += ZEROS.length) {
        writeAllSync(this.#active, ZEROS.subarray(0, Math.min(ZEROS.length, target - at)));
      }
    } catch {
      this.#preallocateOff = true;
    }
    // However far the zeros got, trimming to the records stays right.
    this.#allocated = target;
    this.#active.seekSync(this.#activeSize, Deno.SeekMode.Start);
  }

  /** Cut the active file back to its records (before sealing or closing it). */
  async #trim(): Promise<void> {
    await this.#active.truncate(this.#activeSize);
    this.#allocated = this.#activeSize;
  }

  /** Seal the active segment (sync it), then start a new one at `base`. */
  async #rotate(base: number): Promise<void> {
    const { fs, dir, bases } = this.#init;
    // A sealed segment's size is its end: no preallocated space may stay in it.
    if (this.#allocated > this.#activeSize) await this.#trim();
    await this.#active.syncData();
    this.#written = base;
    this.#synced = base;
    this.#schedule.synced(performance.now());
    if (this.#durable < base) this.#publish(base);
    const file = await fs.open(`${dir}/${segmentName(base)}`, {
      read: true,
      write: true,
      createNew: true,
    });
    try {
      // the new name must survive a crash before its first record is acknowledged
      await fs.syncDir(dir);
    } catch (e) {
      file.close();
      throw e;
    }
    this.#schedule.turned();
    this.#active.close();
    this.#active = file;
    this.#activeSize = 0;
    this.#allocated = 0;
    this.#preallocateOff = false;
    bases.push(base);
  }

  /**
   * fdatasync the active segment: blocking while the schedule allows it (no
   * thread hand-offs), on the thread pool otherwise.
   */
  async #syncActive(): Promise<void> {
    const started = performance.now();
    const file = this.#active;
    const due = this.#schedule.turnDue;
    if (file.syncDataSync !== undefined && this.#schedule.mayBlock) {
      file.syncDataSync();
    } else {
      await file.syncData();
      if (due) await this.#schedule.turn();
      else this.#schedule.turned();
    }
    this.#schedule.flushed(performance.now() - started);
  }

  async #syncPublish(): Promise<void> {
    const end = this.#written;
    // The interval counts from the start of a sync: each covers what was written before it.
    const started = performance.now();
    await this.#syncActive();
    this.#synced = end;
    this.#schedule.synced(started);
    this.#publish(end);
  }

  /** Publish a new durable end to other processes (the file) and to in-process listeners. */
  #publish(end: number): void {
    this.#durable = end;
    this.#init.head.publish(end);
    this.#listeners.notify(end);
  }

  /** Call `listener` with each new durable end; returns the unsubscribe function. */
  listen(listener: (durableEnd: number) => void): () => void {
    return this.#listeners.add(listener);
  }

  #countRecords(group: Entry[]): number {
    let n = 0;
    for (const entry of group) n += entry.one !== null ? 1 : entry.many!.length;
    return n;
  }

  #rejectAll(entries: Entry[], error: unknown): void {
    for (const entry of entries) entry.reject(error);
  }
}

/** Source of preallocation writes (never written to). */
const ZEROS = new Uint8Array(64 * 1024);

/** A byte array on shared memory, so the sealer's worker can hash in place. */
function sharedBytes(size: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(size));
}
