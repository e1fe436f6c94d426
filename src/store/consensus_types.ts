/**
 * Shapes of consensus: what a vote or an epoch resolves against at commit
 * time, what a winner key holds, tally counters and the tally readers see.
 *
 * @module
 */

import type { KvSet } from "./types.ts";

/**
 * A record whose effect is decided at commit time against what is stored:
 * a vote against its voter's winning vote (`compareVersions` of `timestamp`
 * and hash), an epoch against the version stored under its id (`startTime`
 * and hash). `set` is what the commit writes if the record wins.
 *
 * @example The resolvable of a vote
 * ```ts
 * import { KvStore, type Resolvable } from "@stemedb/ingest/store";
 * import { contentHash, fromHex, serializeVote } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const store = await KvStore.open(":memory:");
 * const payload = serializeVote({ assertion: "ab".repeat(32), voter: "ann", value: 1, timestamp: 5 });
 * const plan = store.recordMutations(payload, fromHex(await contentHash(payload)));
 * const resolve: Resolvable | undefined = plan.ok ? plan.resolve : undefined;
 * assert.equal(resolve?.kind, "vote");
 * assert.equal(resolve?.time, 5);
 * store.close();
 * ```
 */
export type Resolvable =
  | {
    /** A vote. */
    kind: "vote";
    /** The assertion voted on. */
    assertion: string;
    /** The voter. */
    voter: string;
    /** Its value in [−1, 1]. */
    value: number;
    /** Its `timestamp`. */
    time: number;
    /** Its content hash. */
    hash: string;
    /** The winner set written if it wins. */
    set: KvSet;
  }
  | {
    /** An epoch. */
    kind: "epoch";
    /** The epoch id. */
    id: string;
    /** Its `startTime`. */
    time: number;
    /** Its content hash. */
    hash: string;
    /** The `E` set written if it wins. */
    set: KvSet;
  };

/**
 * What a winner key `[...p, "W", assertionHash, voter]` holds: the voter's
 * winning vote on the assertion.
 *
 * @example Read a winner key
 * ```ts
 * import type { WinnerValue } from "@stemedb/ingest/store";
 *
 * const winner: WinnerValue = { t: 1_700_000_000_000, h: "ab".repeat(32), v: -1 };
 * console.log(winner.v);
 * ```
 */
export interface WinnerValue {
  /** The vote's `timestamp`. */
  t: number;
  /** The vote's content hash. */
  h: string;
  /** The vote's value. */
  v: number;
}

/**
 * One `sum` mutation of a `Deno.KvU64` counter, with what it costs against
 * the commit limits (counted as a set of an 8-byte value).
 *
 * @example A tally delta of −1, modulo 2^64
 * ```ts
 * import type { KvSum } from "@stemedb/ingest/store";
 *
 * const sum: KvSum = { key: ["T", "ab".repeat(32), "u"], sum: 2n ** 64n - 1n, keyBytes: 72, bytes: 152 };
 * console.log(sum.sum);
 * ```
 */
export interface KvSum {
  /** Full key, prefix included. */
  key: Deno.KvKey;
  /** The operand, in [0, 2^64): a negative delta is written modulo 2^64. */
  sum: bigint;
  /** What it adds to the commit's total mutation size. */
  bytes: number;
  /** Encoded key size. */
  keyBytes: number;
}

/**
 * The votes on one assertion: each voter's winning vote (latest `timestamp`,
 * ties to the greater content hash) counted once. Read from four counters,
 * whatever the number of votes.
 *
 * @example Tally an assertion without votes
 * ```ts
 * import { KvStore, type Tally } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const tally: Tally = await store.tally("ab".repeat(32));
 * assert.equal(tally.count, 0);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface Tally {
  /** Number of votes counted: one per voter, `up + down + neutral`. */
  count: number;
  /** Number of distinct voters who voted; equal to `count`, as each counts once. */
  voters: number;
  /**
   * Sum of the counted values, each rounded to a multiple of 2^-32 first
   * (exact for −1, 0, 1, halves, quarters, …) so it is the same whatever the
   * order the votes were applied in.
   */
  sum: number;
  /** `sum / count`, or 0 when there are no votes. */
  mean: number;
  /** Votes with value > 0. */
  up: number;
  /** Votes with value < 0. */
  down: number;
  /** Votes with value 0. */
  neutral: number;
}
