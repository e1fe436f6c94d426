/**
 * The consensus rules computed the plain way, independently of the store, for
 * tests to compare the store's materialized tallies and epochs against: of a
 * voter's votes on an assertion the latest `timestamp` counts, ties going to
 * the greater content hash; of the epochs under one id the latest
 * `startTime` is kept, ties likewise. Sums are plain floating-point sums, so
 * compare them with `assertTallyClose`.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Tally } from "../../src/store/mod.ts";

/** One vote as the reference needs it. */
export interface RefVote {
  assertion: string;
  voter: string;
  value: number;
  timestamp: number;
  hash: string;
}

/** One epoch version as the reference needs it. */
export interface RefEpoch {
  id: string;
  startTime: number;
  hash: string;
}

function later(a: { t: number; hash: string }, b: { t: number; hash: string }): boolean {
  return a.t > b.t || (a.t === b.t && a.hash > b.hash);
}

/** Each assertion's tally from every vote seen, duplicates and all, in any order. */
export function referenceTallies(votes: Iterable<RefVote>): Map<string, Tally> {
  const latest = new Map<string, Map<string, RefVote>>();
  for (const v of votes) {
    const byVoter = latest.get(v.assertion) ?? new Map<string, RefVote>();
    latest.set(v.assertion, byVoter);
    const held = byVoter.get(v.voter);
    if (
      held === undefined ||
      later({ t: v.timestamp, hash: v.hash }, { t: held.timestamp, hash: held.hash })
    ) byVoter.set(v.voter, v);
  }
  const out = new Map<string, Tally>();
  for (const [assertion, byVoter] of latest) {
    const t: Tally = { count: 0, voters: 0, sum: 0, mean: 0, up: 0, down: 0, neutral: 0 };
    for (const { value } of byVoter.values()) {
      t.count++;
      t.voters++;
      t.sum += value;
      if (value > 0) t.up++;
      else if (value < 0) t.down++;
      else t.neutral++;
    }
    t.mean = t.count === 0 ? 0 : t.sum / t.count;
    out.set(assertion, t);
  }
  return out;
}

/** The hash of the version kept under each epoch id. */
export function referenceEpochs(epochs: Iterable<RefEpoch>): Map<string, string> {
  const kept = new Map<string, RefEpoch>();
  for (const e of epochs) {
    const held = kept.get(e.id);
    if (
      held === undefined ||
      later({ t: e.startTime, hash: e.hash }, { t: held.startTime, hash: held.hash })
    ) {
      kept.set(e.id, e);
    }
  }
  return new Map([...kept].map(([id, e]) => [id, e.hash]));
}

/**
 * Asserts `have` is `want`: counts exactly, the sum and mean within the
 * store's rounding of each value to a multiple of 2^-32.
 */
export function assertTallyClose(have: Tally, want: Tally, what: string): void {
  const { sum: hs, mean: hm, ...hc } = have;
  const { sum: ws, mean: wm, ...wc } = want;
  assert.deepEqual(hc, wc, `counts of ${what}`);
  const tolerance = (want.count + 1) * 2 ** -32;
  assert.ok(Math.abs(hs - ws) <= tolerance, `sum of ${what}: ${hs} vs ${ws}`);
  assert.ok(Math.abs(hm - wm) <= tolerance, `mean of ${what}: ${hm} vs ${wm}`);
}
