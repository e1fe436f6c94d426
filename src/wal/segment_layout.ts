/**
 * Where segments sit relative to each other. A segment's name is the only
 * record of its base offset, so a segment whose name disagrees with both its
 * neighbours cannot be placed: reading it would hand out records at offsets
 * that are not theirs.
 *
 * @module
 */
import { MIN_RECORD_BYTES } from "./format.ts";

/** A place where a segment does not begin where the one before it ends. */
export interface LayoutBreak {
  /** Index of the segment after the break. */
  index: number;
  /** Index of the last segment believed before it. */
  before: number;
  /** Global offset where the break starts: the end of the last segment believed. */
  offset: number;
  /** Bytes missing (negative: overlapping). */
  bytes: number;
  /** Whether the segment after the break cannot be placed and is set aside whole. */
  misplaced: boolean;
}

/** What `layoutSegments()` found. */
export interface Layout {
  /** Breaks, in segment order: the first is the first place the offsets stop adding up. */
  breaks: LayoutBreak[];
  /** Bases of the segments that cannot be placed (see `layoutSegments()`). */
  misplaced: Set<number>;
}

/**
 * Check that each segment begins where the one before it ends. Where it does
 * not, the segment is believed (the bytes between are a missing segment) only
 * if the gap could hold a sealed segment (at least one record) and its own end
 * agrees with what follows; otherwise (an overlap, a gap no segment fits in)
 * it is misplaced (so an overlap always is), and the next segment is compared with the last one believed.
 * The first segment is believed: nothing comes before it.
 */
export function layoutSegments(bases: readonly number[], sizes: readonly number[]): Layout {
  const breaks: LayoutBreak[] = [];
  const misplaced = new Set<number>();
  let prevEnd = bases.length > 0 ? bases[0] : 0;
  let before = 0;
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i];
    const end = base + sizes[i];
    if (i > 0 && base !== prevEnd) {
      const gap = base - prevEnd;
      const rightAgrees = i === bases.length - 1 || end === bases[i + 1] ||
        bases[i + 1] - end >= MIN_RECORD_BYTES;
      const believed = gap >= MIN_RECORD_BYTES && rightAgrees;
      breaks.push({
        index: i,
        before,
        offset: Math.min(prevEnd, base),
        bytes: gap,
        misplaced: !believed,
      });
      if (!believed) {
        misplaced.add(base);
        continue;
      }
    }
    prevEnd = end;
    before = i;
  }
  return { breaks, misplaced };
}
