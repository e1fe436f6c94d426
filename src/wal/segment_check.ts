/**
 * Checking one whole segment file: every record's length and CRC-32C (and
 * BLAKE3 from a chosen position) from the start, where it stops, what a skip passed over, and whether a
 * durable end inside it is a record boundary. Recovery, verification and
 * repair all read segments through `checkSegment()`.
 *
 * @module
 */
import type { CorruptionReason } from "./errors.ts";
import type { Hashers } from "./checksums.ts";
import type { FileLayer } from "./file_layer.ts";
import { HEADER_SIZE } from "./format.ts";
import { SegmentScanner, zeroFrom } from "./segment_scanner.ts";

/** Options of `checkSegment()`. */
export interface CheckOptions {
  /** File layer. */
  fs: FileLayer;
  /** Checksums. */
  h: Hashers;
  /** Largest acceptable payload. */
  maxRecordBytes: number;
  /**
   * File position of the published durable end, `null` when unknown. A
   * verified record that straddles it proves it is not a record boundary; the
   * scan then stops at the next bad record.
   */
  durable: number | null;
  /**
   * After a bad record below this file position, resync to the next position
   * where a record verifies (never past it when finite) and go on; at or past
   * it, stop. `0` stops at the first bad record, `Infinity` never stops.
   */
  resyncBelow: number;
  /** Whether zeros from a bad record to the end of the file end the data (the last segment). */
  zeroTail: boolean;
  /**
   * File position from which each record's BLAKE3 digest is verified too;
   * before it, length and CRC-32C only. `0` verifies every digest.
   */
  digestFrom: number;
}

/** A bad record and where the scan resumed after it. */
export interface BadRange {
  /** File position of the bad record. */
  pos: number;
  /** What failed. */
  reason: CorruptionReason;
  /** File position the scan resynced to. */
  to: number;
}

/** What `checkSegment()` found. */
export interface SegmentCheck {
  /** File size. */
  size: number;
  /** Records that verified. */
  records: number;
  /** Bad ranges the scan resynced over, in order. */
  skipped: BadRange[];
  /** The bad record the scan stopped at, `null` when it reached the end of the file. */
  stop: { pos: number; reason: CorruptionReason; zeros: boolean } | null;
  /** The durable end fell inside a verified record: it is not a record boundary. */
  durableRefuted: boolean;
}

const CHECK_CHUNK = 1024 * 1024;

/** Check every record of the segment file at `path`, from its start. */
export async function checkSegment(path: string, options: CheckOptions): Promise<SegmentCheck> {
  const { fs, h } = options;
  const file = await fs.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    const scanner = new SegmentScanner(file, h, {
      start: 0,
      limit: size,
      maxRecordBytes: options.maxRecordBytes,
      verify: options.digestFrom <= 0 ? "digest" : "crc",
      chunkBytes: CHECK_CHUNK,
    });
    let digests = options.digestFrom <= 0;
    const { durable } = options;
    let resyncBelow = options.resyncBelow;
    const out: SegmentCheck = { size, records: 0, skipped: [], stop: null, durableRefuted: false };
    while (true) {
      if (!digests && scanner.position >= options.digestFrom) {
        scanner.setVerify("digest");
        digests = true;
      }
      const step = await scanner.next();
      if (step.kind === "end") return out;
      if (step.kind === "record") {
        out.records++;
        const end = step.pos + HEADER_SIZE + step.len;
        if (durable !== null && step.pos < durable && durable < end) {
          // Not a boundary, so not an end the writer published: nothing below
          // it is known to be acknowledged, and the next bad record ends the data.
          out.durableRefuted = true;
          resyncBelow = Math.min(resyncBelow, step.pos);
        }
        continue;
      }
      if (options.zeroTail && await zeroTail(fs, path, step.pos)) {
        out.stop = { pos: step.pos, reason: step.reason, zeros: true };
        return out;
      }
      if (step.pos >= resyncBelow) {
        out.stop = { pos: step.pos, reason: step.reason, zeros: false };
        return out;
      }
      // A skip never lands past the durable end: that is a record boundary,
      // and what lies past it is a tail, not something to skip into.
      scanner.setLimit(Math.min(size, resyncBelow));
      const to = await scanner.resync();
      scanner.setLimit(size);
      out.skipped.push({ pos: step.pos, reason: step.reason, to });
    }
  } finally {
    file.close();
  }
}

/**
 * Whether every byte from `from` to the end of the file is zero (the writer's
 * preallocated space, docs/FORMAT.md 1.3). Its own handle: the scanner's
 * file position stays where the scanner left it.
 */
export async function zeroTail(fs: FileLayer, path: string, from: number): Promise<boolean> {
  const file = await fs.open(path, { read: true });
  try {
    return await zeroFrom(file, from);
  } finally {
    file.close();
  }
}
