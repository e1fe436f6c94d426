/**
 * Segment file names: the segment's global base offset as 20 zero-padded
 * decimal digits plus `.wal`, so names sort lexically in offset order.
 *
 * @module
 */
import { SEGMENT_EXTENSION, SEGMENT_NAME_DIGITS } from "./format.ts";

const NAME_PATTERN = new RegExp(`^(\\d{${SEGMENT_NAME_DIGITS}})\\${SEGMENT_EXTENSION}$`);

/**
 * The file name of the segment starting at global offset `base`.
 *
 * @example Name a segment
 * ```ts
 * import assert from "node:assert/strict";
 * import { segmentName } from "@stemedb/ingest/wal";
 * assert.deepEqual(segmentName(67108864), "00000000000067108864.wal");
 * ```
 */
export function segmentName(base: number): string {
  if (!Number.isSafeInteger(base) || base < 0) {
    throw new RangeError(
      `Cannot name segment: base offset "${base}" is not a non-negative integer`,
    );
  }
  return String(base).padStart(SEGMENT_NAME_DIGITS, "0") + SEGMENT_EXTENSION;
}

/**
 * The base offset named by a segment file name, or `null` if it is not one.
 *
 * @example Parse a segment name
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSegmentName } from "@stemedb/ingest/wal";
 *
 * assert.equal(parseSegmentName("00000000000067108864.wal"), 67108864);
 * assert.equal(parseSegmentName("journal.json"), null);
 * ```
 */
export function parseSegmentName(name: string): number | null {
  const match = NAME_PATTERN.exec(name);
  if (match === null) return null;
  const base = Number(match[1]);
  return Number.isSafeInteger(base) ? base : null;
}

/** Base offsets of the segment files among `names`, ascending. */
export function segmentBases(names: Iterable<string>): number[] {
  const bases: number[] = [];
  for (const name of names) {
    const base = parseSegmentName(name);
    if (base !== null) bases.push(base);
  }
  return bases.sort((a, b) => a - b);
}

/**
 * Index of the segment holding `offset`: the last base <= offset, by binary
 * search over ascending bases; -1 when offset lies before the first one.
 */
export function findSegment(bases: readonly number[], offset: number): number {
  let lo = 0;
  let hi = bases.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (bases[mid] <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
