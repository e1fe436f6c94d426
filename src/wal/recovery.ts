/**
 * Recovery on open, first half: `classifyJournal()` reads the segments and the
 * published durable end and says what is wrong and where, modifying nothing.
 * `recovery_plan.ts` decides per RecoveryMode what to do about it.
 *
 * @module
 */
import type { CorruptionReason } from "./errors.ts";
import type { Hashers } from "./checksums.ts";
import type { FileLayer } from "./file_layer.ts";
import { type CheckOptions, checkSegment, type SegmentCheck } from "./segment_check.ts";
import { layoutSegments } from "./segment_layout.ts";
import { segmentName } from "./segment_name.ts";

/** Input of `classifyJournal()`. */
export interface ClassifyInput {
  /** File layer. */
  fs: FileLayer;
  /** Checksums. */
  h: Hashers;
  /** Journal directory. */
  dir: string;
  /** Segment bases, ascending, at least one. */
  bases: readonly number[];
  /** Published durable end, `null` if unknown. */
  head: number | null;
  /** Verify the records of sealed segments too (`verify: "full"`). */
  sealed: boolean;
  /** Resync past damage and go on (skip-corrupt) instead of stopping at the first. */
  skip: boolean;
  /** Largest payload. */
  maxRecordBytes: number;
}

/**
 * Damage to acknowledged data: a bad record in a sealed segment or below the
 * durable end, a break between segments, bytes missing below the durable end.
 */
export interface Damage {
  /** Index of the segment it is in (for a break: the segment after it). */
  index: number;
  /** Segment file to name in errors and events. */
  file: string;
  /** Global offset where it starts. */
  offset: number;
  /** What is wrong. */
  reason: CorruptionReason;
  /** Bytes affected: skipped (a skip's range), missing, overlapping, or a misplaced segment's size. */
  bytes: number;
  /**
   * What it means for the log: `"record"`, bytes a reader resyncs over;
   * `"gap"`, bytes no segment holds; `"misplaced"`, a segment set aside whole.
   */
  kind: "record" | "gap" | "misplaced";
  /** Segment index and file position where the last whole, verified data before it ends. */
  cut: { index: number; pos: number };
}

/** The last segment's unacknowledged tail: bytes from the first bad record at or past the durable end. */
export interface Tail {
  /** Global offset of the first bad record. */
  offset: number;
  /** What is wrong with it. */
  reason: CorruptionReason;
  /** Bytes from it to the end of the file. */
  bytes: number;
  /** Whether they are all zeros (preallocated space: the end of the data, not a tear). */
  zeros: boolean;
}

/** What `classifyJournal()` found; nothing has been modified. */
export interface Classification {
  /** Segment bases, ascending. */
  bases: number[];
  /** File size of each segment. */
  sizes: number[];
  /** Damage to acknowledged data, in offset order (all of it when skipping, else the first). */
  damage: Damage[];
  /** The last segment's torn (or zero) tail, `null` if it ends in a whole record. */
  tail: Tail | null;
  /** Bases of segments whose name disagrees with their neighbours. */
  misplaced: Set<number>;
  /** Global offset where the scan of the last segment began. */
  scannedFrom: number;
  /** Bytes the scans verified. */
  scannedBytes: number;
}

/**
 * Classify the journal in `input.dir`. The last segment is verified whole; a
 * bad record below the durable end in it, or anywhere in a sealed segment
 * (verified only with `sealed`), is damage; the first bad record at or past
 * the durable end (or anywhere, when it is unknown) is the tail.
 */
export async function classifyJournal(input: ClassifyInput): Promise<Classification> {
  const { fs, dir, skip } = input;
  const bases = [...input.bases];
  const paths = bases.map((base) => `${dir}/${segmentName(base)}`);
  const sizes: number[] = [];
  for (const path of paths) sizes.push((await fs.stat(path)).size);
  const last = bases.length - 1;
  const layout = layoutSegments(bases, sizes);
  const damage: Damage[] = [];
  const out: Classification = {
    bases,
    sizes,
    damage,
    tail: null,
    misplaced: layout.misplaced,
    scannedFrom: bases[last],
    scannedBytes: 0,
  };
  const done = () => !skip && damage.length > 0;
  /** Check segment `i`; by default every digest, no durable end, stopping at the first bad record. */
  const check = async (i: number, options: Partial<CheckOptions> = {}) => {
    const c = await checkSegment(paths[i], {
      fs,
      h: input.h,
      maxRecordBytes: input.maxRecordBytes,
      durable: null,
      resyncBelow: 0,
      zeroTail: i === last,
      digestFrom: 0,
      ...options,
    });
    out.scannedBytes += c.stop?.pos ?? c.size;
    return c;
  };
  /** A bad record at file position `pos` of segment `i`. */
  const bad = (i: number, pos: number, reason: CorruptionReason, bytes: number): Damage => ({
    index: i,
    file: paths[i],
    offset: bases[i] + pos,
    reason,
    bytes,
    kind: "record",
    cut: { index: i, pos },
  });
  const recordDamage = (i: number, c: SegmentCheck) => {
    for (const s of c.skipped) damage.push(bad(i, s.pos, s.reason, s.to - s.pos));
  };

  let breakAt = 0;
  for (let i = 0; i < last && !done(); i++) {
    while (breakAt < layout.breaks.length && layout.breaks[breakAt].index <= i) {
      pushBreak(layout.breaks[breakAt++]);
    }
    if (done() || layout.misplaced.has(bases[i])) continue;
    if (input.sealed) {
      const c = await check(i, { resyncBelow: skip ? Infinity : 0 });
      recordDamage(i, c);
      if (c.stop !== null) damage.push(bad(i, c.stop.pos, c.stop.reason, c.size - c.stop.pos));
    }
  }
  while (breakAt < layout.breaks.length && !done()) pushBreak(layout.breaks[breakAt++]);
  if (!skip && !input.sealed && damage.length > 0) {
    // Point-in-time would make the segment before the break the active one:
    // verify it first, so the writer never appends behind an unverified record.
    const before = damage[0].cut.index;
    const c = await check(before);
    if (c.stop !== null) damage[0] = bad(before, c.stop.pos, c.stop.reason, c.size - c.stop.pos);
  }
  if (done() || layout.misplaced.has(bases[last])) return out;

  // The last segment, whole: with the durable end as the line between
  // acknowledged damage and an unacknowledged tail.
  const base = bases[last];
  const size = sizes[last];
  const head = input.head;
  // An end below the active segment (a lost rewrite after a rotation) leaves
  // all of it unacknowledged; an end past it names missing bytes.
  const d = head === null ? null : Math.max(0, head - base);
  // BLAKE3 too past D, where a torn write is expected; CRC-32C below it
  // (so a 64 MiB active segment costs one CRC pass), BLAKE3 everywhere with "full".
  const c = await check(last, {
    durable: d !== null && d > 0 && d < size ? d : null,
    resyncBelow: skip ? d ?? 0 : 0,
    digestFrom: input.sealed ? 0 : d ?? 0,
  });
  recordDamage(last, c);
  const below = c.durableRefuted || d === null ? 0 : d;
  const stop = c.stop;
  if (d !== null && d > size) {
    // The file ends before the durable end: what is left is cut at the last
    // whole record, and the rest of what was acknowledged is gone.
    const runsOff = stop !== null && !stop.zeros &&
      (stop.reason === "torn header" || stop.reason === "torn payload");
    if (stop !== null && !runsOff) damage.push(bad(last, stop.pos, stop.reason, size - stop.pos));
    damage.push({
      index: last,
      file: paths[last],
      offset: base + size,
      reason: "missing bytes",
      bytes: d - size,
      kind: "gap",
      cut: { index: last, pos: stop?.pos ?? size },
    });
    return out;
  }
  if (stop === null) return out;
  if (stop.pos < below) {
    damage.push(bad(last, stop.pos, stop.reason, size - stop.pos));
  } else {
    out.tail = {
      offset: base + stop.pos,
      reason: stop.reason,
      bytes: size - stop.pos,
      zeros: stop.zeros,
    };
  }
  return out;

  function pushBreak(b: (typeof layout.breaks)[number]) {
    damage.push({
      index: b.index,
      file: paths[b.misplaced ? b.index : b.before],
      offset: b.misplaced ? bases[b.index] : b.offset,
      reason: b.misplaced ? "misplaced segment" : "missing segment",
      bytes: b.misplaced ? sizes[b.index] : b.bytes,
      kind: b.misplaced ? "misplaced" : "gap",
      cut: { index: b.before, pos: sizes[b.before] },
    });
  }
}
