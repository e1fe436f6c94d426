/**
 * Sequential, chunked reading of one segment file: large reads, records
 * checked in place, memory bounded by the chunk size (or one record).
 *
 * @module
 */
import type { CorruptionReason } from "./errors.ts";
import type { Hashers } from "./checksums.ts";
import type { FileHandle } from "./file_layer.ts";
import { DIGEST_OFFSET, DIGEST_SIZE, HEADER_SIZE, LEN_OFFSET } from "./format.ts";
import { checkLength, checkRecord, readU32 } from "./record_codec.ts";

/** How much of each record a scan verifies. */
export type ScanVerify = "length" | "crc" | "digest";

/** Options of a SegmentScanner. */
export interface ScanOptions {
  /** File position to start at (a record boundary). */
  start: number;
  /** File position the segment's records end at; `Infinity` = end of file. */
  limit: number;
  /** Largest acceptable payload. */
  maxRecordBytes: number;
  /** What to verify per record. */
  verify: ScanVerify;
  /** Read size. */
  chunkBytes: number;
  /**
   * Whether the payload and digest views of every step stay valid for good:
   * a refill reads into a new buffer instead of over bytes already handed out.
   * @default {false}
   */
  keep?: boolean;
}

/** One step of a scan. */
export type ScanStep =
  | { kind: "record"; pos: number; len: number; payload: Uint8Array; digest: Uint8Array }
  | { kind: "end"; pos: number }
  | { kind: "bad"; pos: number; reason: CorruptionReason };

/**
 * Reads records from a segment file. The payload and digest views of a step
 * are valid only until the next call (copy what you keep), unless the scan
 * keeps its buffers (`keep`).
 */
export class SegmentScanner {
  #file: FileHandle;
  #h: Hashers;
  #opts: ScanOptions;
  #buf: Uint8Array;
  #bufStart: number;
  #bufLen = 0;
  #filePos = -1;
  #pos: number;
  #limit: number;

  /** Scan `file` (the scanner does not close it). */
  constructor(file: FileHandle, h: Hashers, options: ScanOptions) {
    this.#file = file;
    this.#h = h;
    this.#opts = options;
    // No larger than the bound allows: a scan of a small segment should not
    // allocate (and zero) a whole chunk. #ensure grows it if the bound moves.
    this.#buf = new Uint8Array(chunkFor(options.chunkBytes, options.limit - options.start));
    this.#pos = options.start;
    this.#bufStart = options.start;
    this.#limit = options.limit;
  }

  /** File position of the next record. */
  get position(): number {
    return this.#pos;
  }

  /** Change what the next records are verified for. */
  setVerify(verify: ScanVerify): void {
    this.#opts = { ...this.#opts, verify };
  }

  /** Move the bound (readers extend it as the durable end grows). */
  setLimit(limit: number): void {
    this.#limit = limit;
  }

  /** Check the record at the current position and step past it if good. */
  async next(): Promise<ScanStep> {
    const step = await this.#check(this.#pos);
    if (step.kind === "record") this.#pos += HEADER_SIZE + step.len;
    return step;
  }

  /**
   * After a bad record, move to the next position in (position, limit] where a
   * record verifies, or to the limit (or end of file); returns the new position.
   */
  async resync(): Promise<number> {
    const bound = Number.isFinite(this.#limit) ? this.#limit : (await this.#file.stat()).size;
    for (let q = this.#pos + 1; q < bound; q++) {
      this.#pos = q;
      const step = await this.#check(q);
      if (step.kind === "record") return q;
      if (step.kind === "end" || (step.kind === "bad" && step.reason === "missing bytes")) break;
    }
    this.#pos = Math.max(this.#pos, bound);
    return this.#pos;
  }

  /**
   * The next step, without waiting, when the bytes it checks are already in
   * the buffer (most records of a chunk); `null` when it needs a read: call
   * `next()`. Both give the same step for the same position.
   */
  nextBuffered(): ScanStep | null {
    const pos = this.#pos;
    const avail = this.#limit - pos;
    const have = this.#bufStart + this.#bufLen - pos;
    if (avail <= 0 || pos < this.#bufStart || have <= 0 || have < Math.min(HEADER_SIZE, avail)) {
      return null;
    }
    if (have >= HEADER_SIZE && have < Math.min(HEADER_SIZE + this.#verifiedLen(pos), avail)) {
      return null;
    }
    const step = this.#verify(pos, have, avail);
    if (step.kind === "record") this.#pos += HEADER_SIZE + step.len;
    return step;
  }

  async #check(pos: number): Promise<ScanStep> {
    const avail = this.#limit - pos;
    if (avail <= 0) return { kind: "end", pos };
    let have = await this.#ensure(pos, Math.min(HEADER_SIZE, avail));
    if (have === 0) {
      return Number.isFinite(this.#limit)
        ? { kind: "bad", pos, reason: "missing bytes" }
        : { kind: "end", pos };
    }
    if (have >= HEADER_SIZE) {
      have = await this.#ensure(pos, Math.min(HEADER_SIZE + this.#verifiedLen(pos), avail));
    }
    return this.#verify(pos, have, avail);
  }

  /**
   * The payload bytes past the header that verifying the record at `pos`
   * reads: its length when plausible and verification reads the payload,
   * else none. Its header must be resident.
   */
  #verifiedLen(pos: number): number {
    const len = readU32(this.#buf, pos - this.#bufStart + LEN_OFFSET);
    return len > 0 && len <= this.#opts.maxRecordBytes && this.#opts.verify !== "length" ? len : 0;
  }

  /** Verify the record at `pos`, of which `have` bytes are resident, `avail` before the limit. */
  #verify(pos: number, have: number, avail: number): ScanStep {
    const o = pos - this.#bufStart;
    const len = have >= HEADER_SIZE ? readU32(this.#buf, o + LEN_OFFSET) : 0;
    const available = Math.min(avail, have);
    const reason = this.#opts.verify === "length"
      ? checkLength(this.#buf, o, available, avail, this.#opts.maxRecordBytes)
      : checkRecord(
        this.#h,
        this.#buf,
        o,
        available,
        this.#opts.maxRecordBytes,
        this.#opts.verify === "digest",
      );
    if (reason !== null) return { kind: "bad", pos, reason };
    const payload = this.#opts.verify === "length"
      ? this.#buf.subarray(0, 0)
      : this.#buf.subarray(o + HEADER_SIZE, o + HEADER_SIZE + len);
    const digest = this.#buf.subarray(o + DIGEST_OFFSET, o + DIGEST_OFFSET + DIGEST_SIZE);
    return { kind: "record", pos, len, payload, digest };
  }

  /**
   * Make bytes [pos, pos + n) resident; returns how many bytes from pos are
   * resident (fewer than n only at end of file or the limit).
   */
  async #ensure(pos: number, n: number): Promise<number> {
    let have = this.#bufStart + this.#bufLen - pos;
    if (pos >= this.#bufStart && have >= n) return have;
    if (pos < this.#bufStart || have < 0) have = 0;
    const from = pos - this.#bufStart;
    const size = Math.max(
      Math.min(n, this.#limit - pos),
      chunkFor(this.#opts.chunkBytes, this.#limit - pos),
    );
    // The views a keeping scan handed out lie before `pos`: it never writes over
    // them, it moves what is resident from `pos` into a buffer of its own.
    if (size > this.#buf.length || (this.#opts.keep === true && from !== 0)) {
      const fresh = new Uint8Array(size);
      if (have > 0) fresh.set(this.#buf.subarray(from, from + have));
      this.#buf = fresh;
    } else if (have > 0 && from > 0) {
      this.#buf.copyWithin(0, from, from + have);
    }
    this.#bufStart = pos;
    this.#bufLen = have;
    const cap = Math.min(this.#buf.length, this.#limit - this.#bufStart);
    while (this.#bufLen < cap) {
      const readAt = this.#bufStart + this.#bufLen;
      if (this.#filePos !== readAt) {
        await this.#file.seek(readAt, Deno.SeekMode.Start);
        this.#filePos = readAt;
      }
      const got = await this.#file.read(this.#buf.subarray(this.#bufLen, cap));
      if (got === null || got === 0) break;
      this.#bufLen += got;
      this.#filePos += got;
      if (this.#bufLen >= n) break;
    }
    return this.#bufLen;
  }
}

/** A read buffer's size: a chunk, or less when the bytes left to the bound are fewer. */
function chunkFor(chunkBytes: number, left: number): number {
  return Math.max(0, Math.min(chunkBytes, left));
}

/**
 * Whether every byte of `file` from position `from` to its end is zero: the
 * writer's preallocated space past the last record of the active segment
 * (docs/FORMAT.md 1.3), not damage. Moves the file position.
 */
export async function zeroFrom(file: FileHandle, from: number): Promise<boolean> {
  const size = (await file.stat()).size;
  const buf = new Uint8Array(Math.min(ZERO_CHECK_CHUNK, Math.max(0, size - from)));
  await file.seek(from, Deno.SeekMode.Start);
  let pos = from;
  while (pos < size) {
    const got = await file.read(buf.subarray(0, Math.min(buf.length, size - pos)));
    if (got === null || got === 0) break;
    for (let i = 0; i < got; i++) if (buf[i] !== 0) return false;
    pos += got;
  }
  return true;
}

const ZERO_CHECK_CHUNK = 1024 * 1024;
