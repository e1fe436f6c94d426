/**
 * Recovery on open (writer side). Sealed segments must be contiguous; the
 * last segment is scanned from the published durable end (or from its base
 * when the end is unknown, or everything with `verify: "full"`). A bad record
 * at or past the durable end is a torn tail; one below it (or in a sealed
 * segment) is damage to acknowledged data, handled per RecoveryMode.
 *
 * @module
 */
import { type CorruptionReason, CorruptJournalError } from "./errors.ts";
import type { Hashers } from "./checksums.ts";
import type { FileLayer } from "./file_layer.ts";
import type { RecoveryEvent, RecoveryMode, RecoveryReport } from "./options.ts";
import { segmentName } from "./segment_name.ts";
import { SegmentScanner, zeroFrom } from "./segment_scanner.ts";

/** Input of `recover()`. */
export interface RecoveryInput {
  /** File layer. */
  fs: FileLayer;
  /** Checksums. */
  h: Hashers;
  /** Journal directory. */
  dir: string;
  /** Segment bases, ascending, at least one. */
  bases: number[];
  /** Published durable end, `null` if unknown. */
  head: number | null;
  /** Recovery mode. */
  mode: RecoveryMode;
  /** Scan depth. */
  verify: "tail" | "full";
  /** Largest payload. */
  maxRecordBytes: number;
  /** Reporter. */
  onRecovery?: (event: RecoveryEvent) => void;
}

/** Output of `recover()`. */
export interface RecoveryResult {
  /** Segment bases still present, ascending. */
  bases: number[];
  /** Size of the last segment after recovery. */
  lastSize: number;
  /** What was found and done. */
  report: RecoveryReport;
}

const SCAN_CHUNK = 1024 * 1024;

/** Stop recovery: thrown internally when the journal is cut at a point. */
class Cut {
  constructor(
    readonly index: number,
    readonly offset: number,
    readonly reason: CorruptionReason,
  ) {}
}

/** Run recovery over the segments of `input.dir`; may truncate and delete files. */
export async function recover(input: RecoveryInput): Promise<RecoveryResult> {
  const { fs, dir, mode, head } = input;
  const bases = [...input.bases];
  const sizes: number[] = [];
  for (const base of bases) sizes.push((await fs.stat(pathOf(dir, base))).size);
  const events: RecoveryEvent[] = [];
  const report = (event: RecoveryEvent) => {
    events.push(event);
    input.onRecovery?.(event);
  };
  const last = bases.length - 1;
  let scannedBytes = 0;
  let scannedFrom = bases[last];

  /** Damage to acknowledged data at `offset` in segment `i`. */
  const acknowledged = (i: number, offset: number, reason: CorruptionReason): "skip" | Cut => {
    if (mode === "tolerate-torn-tail" || mode === "absolute") {
      throw new CorruptJournalError(pathOf(dir, bases[i]), offset, reason);
    }
    if (mode === "point-in-time") return new Cut(i, offset, reason);
    return "skip";
  };

  let cut: Cut | null = null;
  try {
    // Sealed segments: contiguity always, records with verify "full".
    for (let i = 0; i < last; i++) {
      if (input.verify === "full") {
        const r = await scanSegment(input, bases[i], 0, sizes[i], (offset, reason) => {
          const action = acknowledged(i, offset, reason);
          if (action instanceof Cut) throw action;
          return true;
        }, report);
        scannedBytes += r;
      }
      const end = bases[i] + sizes[i];
      if (end !== bases[i + 1]) {
        const reason = end < bases[i + 1] ? "missing segment" : "overlapping segment";
        const offset = Math.min(end, bases[i + 1]);
        const action = acknowledged(i, offset, reason);
        if (action instanceof Cut) throw action;
        report({
          kind: "missing",
          file: pathOf(dir, bases[i]),
          offset,
          reason,
          bytes: Math.abs(bases[i + 1] - end),
        });
      }
    }
    // Last segment.
    const base = bases[last];
    const file = pathOf(dir, base);
    const end = base + sizes[last];
    if (head !== null && head > end) {
      const action = acknowledged(last, end, "missing bytes");
      if (action instanceof Cut) throw action;
      report({ kind: "missing", file, offset: end, reason: "missing bytes", bytes: head - end });
    }
    const start = input.verify === "tail" && head !== null && head >= base && head <= end
      ? head
      : base;
    scannedFrom = start;
    let tornAt = -1;
    let tornReason: CorruptionReason = "torn header";
    scannedBytes += await scanSegment(
      input,
      base,
      start - base,
      Infinity,
      (offset, reason) => {
        if (head !== null && offset < head) {
          const action = acknowledged(last, offset, reason);
          if (action instanceof Cut) throw action;
          return true;
        }
        tornAt = offset;
        tornReason = reason;
        return false;
      },
      report,
      // skip-corrupt resyncs at most to the durable end, a record boundary
      head === null ? Infinity : Math.min(head, end) - base,
    );
    if (tornAt >= 0 && await zeroTail(fs, file, tornAt - base)) {
      // The writer's preallocated space past its last record: the end of the
      // data, not a tear. Cut it so the segment's size is its data again.
      await truncate(fs, file, tornAt - base);
      sizes[last] = tornAt - base;
    } else if (tornAt >= 0) {
      if (mode === "absolute") throw new CorruptJournalError(file, tornAt, tornReason);
      await truncate(fs, file, tornAt - base);
      sizes[last] = tornAt - base;
      report({ kind: "truncated", file, offset: tornAt, reason: tornReason, bytes: end - tornAt });
    }
  } catch (e) {
    if (!(e instanceof Cut)) throw e;
    cut = e;
  }

  if (cut !== null) {
    const file = pathOf(dir, bases[cut.index]);
    const keep = Math.min(cut.offset - bases[cut.index], sizes[cut.index]);
    const total = bases[last] + sizes[last];
    if (keep < sizes[cut.index]) await truncate(fs, file, keep);
    for (let i = last; i > cut.index; i--) {
      await fs.remove(pathOf(dir, bases[i]));
      report({
        kind: "dropped",
        file: pathOf(dir, bases[i]),
        offset: bases[i],
        reason: "missing segment",
        bytes: sizes[i],
      });
    }
    await fs.syncDir(dir);
    bases.length = cut.index + 1;
    sizes.length = cut.index + 1;
    sizes[cut.index] = keep;
    report({
      kind: "dropped",
      file,
      offset: cut.offset,
      reason: cut.reason,
      bytes: Math.max(0, total - cut.offset),
    });
  }

  const lastSize = sizes[sizes.length - 1];
  return {
    bases,
    lastSize,
    report: {
      mode,
      publishedEnd: head,
      scannedFrom,
      scannedBytes,
      end: bases[bases.length - 1] + lastSize,
      events,
    },
  };
}

function pathOf(dir: string, base: number): string {
  return `${dir}/${segmentName(base)}`;
}

async function zeroTail(fs: FileLayer, path: string, from: number): Promise<boolean> {
  const file = await fs.open(path, { read: true });
  try {
    return await zeroFrom(file, from);
  } finally {
    file.close();
  }
}

async function truncate(fs: FileLayer, path: string, size: number): Promise<void> {
  const file = await fs.open(path, { read: true, write: true });
  try {
    await file.truncate(size);
    await file.syncData();
  } finally {
    file.close();
  }
}

/**
 * Scan one segment from file position `start` up to `limit`, calling `onBad`
 * for each bad record: it returns `true` to skip (resync within `skipBound`)
 * or `false` to stop. Returns the bytes scanned.
 */
async function scanSegment(
  input: RecoveryInput,
  base: number,
  start: number,
  limit: number,
  onBad: (offset: number, reason: CorruptionReason) => boolean,
  report: (event: RecoveryEvent) => void,
  skipBound = limit,
): Promise<number> {
  const path = pathOf(input.dir, base);
  const file = await input.fs.open(path, { read: true });
  try {
    const scanner = new SegmentScanner(file, input.h, {
      start,
      limit,
      maxRecordBytes: input.maxRecordBytes,
      verify: "digest",
      chunkBytes: SCAN_CHUNK,
    });
    while (true) {
      const step = await scanner.next();
      if (step.kind === "record") continue;
      if (step.kind === "end") return step.pos - start;
      if (!onBad(base + step.pos, step.reason)) return step.pos - start;
      scanner.setLimit(skipBound);
      const to = await scanner.resync();
      scanner.setLimit(limit);
      report({
        kind: "skipped",
        file: path,
        offset: base + step.pos,
        reason: step.reason,
        bytes: to - step.pos,
      });
    }
  } finally {
    file.close();
  }
}
