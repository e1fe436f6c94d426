/**
 * Interleaved rounds for the ingest benchmarks: every side runs once per
 * round, in an order alternating between rounds, so both sides of a ratio
 * see the same background load; a figure is the median over rounds and a
 * ratio the median of the per-round ratios.
 *
 * @module
 */
import { median } from "./wal_measure.ts";

/** Milliseconds `fn` takes. */
export async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * Runs `sides` once per round for `count` rounds, in an order alternating
 * between rounds; milliseconds per side, round by round. A side may sit a
 * round out by returning `null` (a slow side run in fewer rounds). The
 * first `warmup` rounds, numbered from `-warmup`, are run and not counted:
 * each side's code compiled and its files' first costs paid before any
 * round is timed.
 */
export async function rounds(
  count: number,
  sides: Record<string, (round: number) => Promise<number | null>>,
  warmup = 0,
): Promise<Record<string, number[]>> {
  const names = Object.keys(sides);
  const ms: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = -warmup; round < count; round++) {
    // Warm-up rounds in the order given: a side may use what an earlier one left (a recording).
    const order = round < 0 || round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const took = await sides[name](round);
      if (took === null) continue;
      const label = round < 0 ? "warm-up" : `round ${round + 1}`;
      console.error(`  ${label}: ${name}: ${took.toFixed(0)} ms`);
      if (round >= 0) ms[name].push(took);
    }
  }
  return ms;
}

/**
 * Per-round `peer[i] / subject[i]` over the rounds both ran (times: the
 * subject's speed relative to the peer).
 */
export function perRound(subjectMs: readonly number[], peerMs: readonly number[]): number[] {
  const n = Math.min(subjectMs.length, peerMs.length);
  return Array.from({ length: n }, (_, i) => peerMs[i] / subjectMs[i]);
}

/** Median of the per-round ratios `peer[i] / subject[i]`. */
export function ratio(subjectMs: readonly number[], peerMs: readonly number[]): number {
  return median(perRound(subjectMs, peerMs));
}

/** The lower and upper quartiles of `values` (nearest rank), as printed: `0.78–0.83`. */
export function quartiles(values: readonly number[], digits = 2): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `${at(0.25).toFixed(digits)}–${at(0.75).toFixed(digits)}`;
}

/** Rounds as printed: `473/721/570`. */
export function trials(ms: readonly number[]): string {
  return ms.map((t) => t.toFixed(0)).join("/");
}
