/**
 * One ingest batch as one atomic, versionstamp-checked Deno KV commit.
 *
 * @module
 */

import type { KeyLayout } from "./keys.ts";
import { keyBytes } from "./key_size.ts";
import {
  MAX_CHECKS,
  MAX_COMMIT_BYTES,
  MAX_KEY_BYTES,
  MAX_MUTATIONS,
  MAX_TOTAL_KEY_BYTES,
  MAX_VALUE_BYTES,
} from "./limits.ts";
import {
  checkJournalId,
  checkOffset,
  consumerSet,
  cursorSet,
  deadLetterSet,
} from "./ingest_state.ts";
import { layoutSet } from "./layout.ts";
import type { CommitBatch, CommitResult, KvSet } from "./types.ts";

/** A measured mutation: a set or a sum. */
type Measured = Pick<KvSet, "bytes" | "keyBytes">;

/**
 * Totals of a planned commit, as Deno KV counts them.
 *
 * @example Read the room left in a batch
 * ```ts
 * import { type CommitCost, KvStore } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const budget: CommitCost = store.batchBudget("j1");
 * // Less than Deno KV's 1,000: the cursor, layout and guard mutations are held back.
 * assert.ok(budget.mutations < 1000);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface CommitCost {
  /** Number of mutations. */
  mutations: number;
  /** Total mutation size, checked keys included. */
  bytes: number;
  /** Total size of mutation keys. */
  keyBytes: number;
}

/**
 * The one measure of what mutations cost against Deno KV's commit limits:
 * what `mutations` (sets and sums) plus checks on `checkKeys` add up to.
 */
export function commitCost(
  mutations: readonly Measured[],
  checkKeys: readonly Deno.KvKey[] = [],
): CommitCost {
  let bytes = 0;
  for (const key of checkKeys) bytes += keyBytes(key);
  let keys = 0;
  for (const m of mutations) {
    bytes += m.bytes;
    keys += m.keyBytes;
  }
  return { mutations: mutations.length, bytes, keyBytes: keys };
}

/** Adds what one more mutation costs to `cost`, in place. */
export function addSetCost(cost: CommitCost, mutation: Measured): void {
  cost.mutations++;
  cost.bytes += mutation.bytes;
  cost.keyBytes += mutation.keyBytes;
}

/** The sum of two costs. */
export function addCost(a: CommitCost, b: CommitCost): CommitCost {
  return {
    mutations: a.mutations + b.mutations,
    bytes: a.bytes + b.bytes,
    keyBytes: a.keyBytes + b.keyBytes,
  };
}

/** What is left of Deno KV's commit limits once `fixed` is counted. */
export function roomLeft(fixed: CommitCost): CommitCost {
  return {
    mutations: MAX_MUTATIONS - fixed.mutations,
    bytes: MAX_COMMIT_BYTES - fixed.bytes,
    keyBytes: MAX_TOTAL_KEY_BYTES - fixed.keyBytes,
  };
}

/** Whether `cost` fits within `limits` beside what `used` already takes. */
export function fitsBeside(used: CommitCost, cost: CommitCost, limits: CommitCost): boolean {
  return used.mutations + cost.mutations <= limits.mutations &&
    used.bytes + cost.bytes <= limits.bytes && used.keyBytes + cost.keyBytes <= limits.keyBytes;
}

function assertFits(sets: KvSet[], others: readonly Measured[], checkKeys: Deno.KvKey[]) {
  if (checkKeys.length > MAX_CHECKS) {
    throw new RangeError(
      `Cannot commit batch: ${checkKeys.length} checks, more than ${MAX_CHECKS}`,
    );
  }
  for (const set of sets) {
    if (set.keyBytes > MAX_KEY_BYTES) {
      throw new RangeError(
        `Cannot commit batch: a key is ${set.keyBytes} bytes, more than ${MAX_KEY_BYTES}`,
      );
    }
    const value = set.bytes - 2 * set.keyBytes;
    if (value > MAX_VALUE_BYTES) {
      throw new RangeError(
        `Cannot commit batch: a value is ${value} bytes, more than ${MAX_VALUE_BYTES}`,
      );
    }
  }
  const cost = commitCost([...sets, ...others], checkKeys);
  if (cost.mutations > MAX_MUTATIONS) {
    throw new RangeError(
      `Cannot commit batch: ${cost.mutations} mutations, more than ${MAX_MUTATIONS}`,
    );
  }
  if (cost.bytes > MAX_COMMIT_BYTES) {
    throw new RangeError(
      `Cannot commit batch: ${cost.bytes} bytes of mutations, more than ${MAX_COMMIT_BYTES}`,
    );
  }
  if (cost.keyBytes > MAX_TOTAL_KEY_BYTES) {
    throw new RangeError(
      `Cannot commit batch: ${cost.keyBytes} bytes of keys, more than ${MAX_TOTAL_KEY_BYTES}`,
    );
  }
}

/**
 * Commits a batch: checks the cursor key still has `expect` as versionstamp
 * (and any further checks hold), then sets the records, the dead letters, the
 * consumer offset and the new cursor, and applies the sums, together. A
 * failed check applies nothing and returns `{ ok: false }`.
 *
 * @throws {RangeError} If the batch exceeds Deno KV's commit limits.
 */
export async function commitBatch(
  kv: Deno.Kv,
  keys: KeyLayout,
  batch: CommitBatch,
): Promise<CommitResult> {
  const journalId = checkJournalId("commit batch", batch.journalId);
  const cursor = checkOffset("commit batch", batch.cursor);
  if (batch.expect !== null && typeof batch.expect !== "string") {
    throw new TypeError(`Cannot commit batch: expect must be a versionstamp string or null`);
  }
  const now = Date.now();
  const sets = [
    ...batch.sets,
    ...batch.deadLetters.map((letter) => deadLetterSet(keys, letter, now)),
  ];
  if (batch.consumer !== undefined) {
    sets.push(consumerSet(keys, journalId, batch.consumer, cursor, now));
  }
  const cursorKey = keys.cursor(journalId);
  sets.push(
    cursorSet(keys, journalId, cursor, { lag: batch.lag, commit: batch.commit, now }),
    layoutSet(keys),
  );
  const checks = [{ key: cursorKey, versionstamp: batch.expect }, ...(batch.checks ?? [])];
  const sums = batch.sums ?? [];
  assertFits(sets, sums, checks.map((c) => c.key));
  const op = kv.atomic().check(...checks);
  for (const set of sets) op.set(set.key, set.value);
  for (const s of sums) op.mutate({ type: "sum", key: s.key, value: new Deno.KvU64(s.sum) });
  const result = await op.commit();
  return result.ok ? { ok: true, versionstamp: result.versionstamp } : { ok: false };
}
