/**
 * Materialized tallies: four `Deno.KvU64` counters per assertion, changed
 * only by `sum` mutations so commits from any number of journals add up in
 * any order. docs/FORMAT.md section 3.4 gives the design and its proof.
 *
 * | field | counter                                                     |
 * | ----- | ----------------------------------------------------------- |
 * | `u`   | winning votes with value > 0                                |
 * | `d`   | winning votes with value < 0                                |
 * | `n`   | winning votes with value 0                                  |
 * | `s`   | sum of winning values in units of 2^-32, two's complement   |
 *
 * A counter only ever goes down when a voter's winner changes, in the same
 * commit that adds one elsewhere, so committed counts are never negative;
 * the deltas are written modulo 2^64, which `sum` wraps.
 *
 * @module
 */

import { getManyChunked } from "./_get_many.ts";
import { fromHex } from "../records/mod.ts";
import { keyBytes } from "./key_size.ts";
import type { HashPart, KeyLayout } from "./keys.ts";
import type { KvSum, Tally } from "./consensus_types.ts";

/** Binary digits kept after the point in a tally's sum. */
export const SUM_FRACTION_BITS = 32;
const SCALE = 2 ** SUM_FRACTION_BITS;
const U64 = 2n ** 64n;

/** The tally's counter fields, in key order of `tally()` reads. */
export const TALLY_FIELDS = ["u", "d", "n", "s"] as const;
type Field = typeof TALLY_FIELDS[number];

/**
 * A vote value in the sum's fixed point: `value × 2^32` rounded to the nearest
 * integer (exact for values with at most 32 binary fraction digits). Integers
 * add up the same in any order, which floating-point sums do not.
 */
export function sumUnits(value: number): bigint {
  return BigInt(Math.round(value * SCALE));
}

function fieldOf(value: number): Field {
  return value > 0 ? "u" : value < 0 ? "d" : "n";
}

/** What one commit changes in the tallies of the assertions it touches. */
export class TallyDeltas {
  #byAssertion = new Map<string, Record<Field, bigint>>();

  /** Count `value` in (`sign` 1) or out of (`sign` −1) the tally of `assertion`. */
  add(assertion: string, value: number, sign: 1 | -1): void {
    let d = this.#byAssertion.get(assertion);
    if (d === undefined) {
      d = { u: 0n, d: 0n, n: 0n, s: 0n };
      this.#byAssertion.set(assertion, d);
    }
    const s = BigInt(sign);
    d[fieldOf(value)] += s;
    d.s += s * sumUnits(value);
  }

  /**
   * Every field of every assertion touched, zeros included: written with
   * `set` instead of `sum`, they build the counters from scratch (the migration).
   */
  totals(keys: KeyLayout): KvSum[] {
    return this.#mutations(keys, true);
  }

  /** The `sum` mutations that apply the non-zero deltas. */
  sums(keys: KeyLayout): KvSum[] {
    return this.#mutations(keys, false);
  }

  #mutations(keys: KeyLayout, zeros: boolean): KvSum[] {
    const out: KvSum[] = [];
    for (const [assertion, d] of this.#byAssertion) {
      // One conversion for all of the assertion's counters.
      const hash = fromHex(assertion);
      for (const field of TALLY_FIELDS) {
        if (zeros || d[field] !== 0n) out.push(tallySum(keys.tally(hash, field), d[field]));
      }
    }
    return out;
  }
}
/** Bytes Deno KV counts for a `KvU64` operand. */
const U64_BYTES = 8;

/** A `sum` mutation of `delta` (modulo 2^64) on `key`, measured like a set. */
export function tallySum(key: Deno.KvKey, delta: bigint): KvSum {
  const k = keyBytes(key);
  return { key, sum: ((delta % U64) + U64) % U64, keyBytes: k, bytes: 2 * k + U64_BYTES };
}

/** The largest cost the tally of one assertion can add to a commit: one sum per field. */
export function tallyCost(keys: KeyLayout, assertion: HashPart): KvSum[] {
  return TALLY_FIELDS.map((field) => tallySum(keys.tally(assertion, field), 0n));
}

/** A tally from its four counters as read (`null` for a counter never written). */
export function tallyFrom(counters: readonly (bigint | null)[]): Tally {
  const [u, d, n, s] = counters.map((c) => c ?? 0n);
  const up = Number(u);
  const down = Number(d);
  const neutral = Number(n);
  const count = up + down + neutral;
  const sum = Number(BigInt.asIntN(64, s)) / SCALE;
  return { count, voters: count, sum, mean: count === 0 ? 0 : sum / count, up, down, neutral };
}

/** Reads an assertion's tally: one `getMany` of four keys, whatever the number of votes. */
export async function readTally(kv: Deno.Kv, keys: KeyLayout, assertion: string): Promise<Tally> {
  const entries = await kv.getMany<Deno.KvU64[]>(
    TALLY_FIELDS.map((field) => keys.tally(assertion, field)),
  );
  return tallyFrom(entries.map((e) => e.value === null ? null : e.value.value));
}

/** The counters whose sum is the number of an assertion's winners (`s` is not a count). */
const COUNT_FIELDS = ["u", "d", "n"] as const;

/**
 * The number of winners of each of `assertions` (u + d + n; 0 when never
 * written), read strongly: `getMany` of the three count counters, ten keys a
 * call whatever assertion they belong to. An assertion whose count is 0 has
 * no `W` key (docs/FORMAT.md section 3.4).
 */
export async function readWinnerCounts(
  kv: Deno.Kv,
  keys: KeyLayout,
  assertions: readonly string[],
): Promise<Map<string, number>> {
  const all = assertions.flatMap((a) => {
    const hash = fromHex(a);
    return COUNT_FIELDS.map((field) => keys.tally(hash, field));
  });
  const values = await getManyChunked(
    all,
    (chunk) => kv.getMany<Deno.KvU64[]>(chunk, { consistency: "strong" }),
  );
  const counts = new Map<string, number>();
  assertions.forEach((a, i) => {
    let count = 0n;
    for (let f = 0; f < COUNT_FIELDS.length; f++) {
      count += values[i * COUNT_FIELDS.length + f].value?.value ?? 0n;
    }
    counts.set(a, Number(count));
  });
  return counts;
}
