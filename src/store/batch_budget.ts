/**
 * What is left of Deno KV's commit limits for a batch's records once every
 * commit's fixed mutations are counted.
 *
 * @module
 */

import { type CommitCost, commitCost, roomLeft } from "./commit.ts";
import { checkJournalId, consumerSet, cursorSet, MAX_COMMIT_ID_LENGTH } from "./ingest_state.ts";
import type { KeyLayout } from "./keys.ts";
import { layoutSet } from "./layout.ts";
import { guardReserve } from "./resolve.ts";

/**
 * Options of `KvStore.batchBudget`.
 *
 * @example Budget a batch that also moves a consumer
 * ```ts
 * import { type BatchBudgetOptions, KvStore } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const options: BatchBudgetOptions = { consumer: "ingestor" };
 * assert.ok(store.batchBudget("j1", options).mutations < 1000);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface BatchBudgetOptions {
  /**
   * Consumer whose offset the commit will also move.
   *
   * @default {undefined}
   */
  consumer?: string;
}

/**
 * What is left of Deno KV's commit limits for a batch's record sets and
 * dead-letter sets once the cursor check, the cursor and layout sets, the
 * optional consumer set and the guards of resolved keys (a check and a set
 * per shard) are counted.
 */
export function batchBudget(
  keys: KeyLayout,
  journalId: string,
  options?: BatchBudgetOptions,
): CommitCost {
  checkJournalId("compute batch budget", journalId);
  const now = Date.now();
  const lag = { bytes: Number.MAX_SAFE_INTEGER, records: Number.MAX_SAFE_INTEGER };
  const commit = "0".repeat(MAX_COMMIT_ID_LENGTH); // the longest a commit may name itself
  const fixed = [
    cursorSet(keys, journalId, Number.MAX_SAFE_INTEGER, { lag, commit, now }),
    layoutSet(keys),
  ];
  if (options?.consumer !== undefined) {
    fixed.push(consumerSet(keys, journalId, options.consumer, 0, now));
  }
  // Room for the guards of every shard, whether or not the commit resolves anything.
  const guards = guardReserve(keys);
  fixed.push(...guards.sets);
  return roomLeft(commitCost(fixed, [keys.cursor(journalId), ...guards.checkKeys]));
}
