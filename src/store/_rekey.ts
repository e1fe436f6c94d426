/**
 * The step of a migration to layout 3 that moves every key written by an
 * earlier layout, whose content hashes are 64 hex characters, to the same key
 * with those parts as their 32 bytes (the subject index's value, the hash
 * again, becomes empty). Each key is set anew and its old form deleted in one
 * commit, so what is left to move is exactly what still has the old form:
 * the step resumes, and repeats, by listing it again.
 *
 * @module
 */

import { fromHex, isHash } from "../records/mod.ts";
import {
  ASSERTION_PART,
  EPOCH_ASSERTION_PART,
  type KeyLayout,
  REFERENCE_PART,
  SUBJECT_PART,
  SUBJECT_PREDICATE_PART,
  TALLY_PART,
  VOTE_PART,
  VOTER_HISTORY_PART,
  WINNER_PART,
} from "./keys.ts";
import { kvSet } from "./kv_set.ts";
import { MAX_LIST_BATCH } from "./limits.ts";
import type { MigrationCall, MigrationWriter } from "./_migration_writer.ts";

/** A key family and where its content hashes sit, counted from the family part. */
interface Family {
  part: string;
  hashes: readonly number[];
}

/** Every family with hash parts; the others (`E`, `SL`, `_ingest`, `_meta`) hold none. */
export const HASHED_FAMILIES: readonly Family[] = [
  { part: ASSERTION_PART, hashes: [1] },
  { part: SUBJECT_PART, hashes: [2] },
  { part: VOTE_PART, hashes: [1, 2] },
  { part: SUBJECT_PREDICATE_PART, hashes: [1, 2] },
  { part: REFERENCE_PART, hashes: [1, 2] },
  { part: EPOCH_ASSERTION_PART, hashes: [2] },
  { part: VOTER_HISTORY_PART, hashes: [1, 2, 4] },
  { part: WINNER_PART, hashes: [1] },
  { part: TALLY_PART, hashes: [1] },
];

const EMPTY = new Uint8Array(0);

/** The key in layout 3 of an old-form `key` of `family` whose family part is at `at`. */
function newKey(key: Deno.KvKey, family: Family, at: number): Deno.KvKey {
  const out = [...key];
  for (const h of family.hashes) {
    const part = key[at + h];
    if (!isHash(part)) {
      throw new TypeError(
        `Cannot migrate key ${JSON.stringify(key)}: part ${at + h} is not a 64-hex content hash`,
      );
    }
    out[at + h] = fromHex(part);
  }
  return out;
}

/** Where `family`'s old-form keys are listed from. */
function oldKeys(keys: KeyLayout, family: Family): Deno.KvListSelector {
  const prefix = [...keys.prefix, family.part];
  // Byte parts sort before string parts: when the first part after the family is a hash,
  // starting at the empty string skips every key already moved.
  return family.hashes[0] === 1 ? { prefix, start: [...prefix, ""] } : { prefix };
}

/** How many keys `rekey()` has left to move (listed, not decoded). */
export async function countOldKeys(
  kv: Deno.Kv,
  at: { keys: KeyLayout; call: MigrationCall },
): Promise<number> {
  const depth = at.keys.prefix.length;
  let count = 0;
  for (const family of HASHED_FAMILIES) {
    const entries = kv.list(oldKeys(at.keys, family), { batchSize: MAX_LIST_BATCH });
    while (true) {
      const step = await at.call("listOldKeys", () => entries.next());
      if (step.done) break;
      if (!(step.value.key[depth + family.hashes[0]] instanceof Uint8Array)) count++;
    }
  }
  return count;
}

/** How many votes the store holds, in either form (listed, not decoded). */
export async function countVotes(
  kv: Deno.Kv,
  at: { keys: KeyLayout; call: MigrationCall },
): Promise<number> {
  const entries = kv.list({ prefix: at.keys.allVotes() }, { batchSize: MAX_LIST_BATCH });
  let count = 0;
  while (true) {
    const step = await at.call("listVotes", () => entries.next());
    if (step.done) return count;
    count++;
  }
}

/**
 * Moves every old-form key of the store under `keys` to layout 3; returns how
 * many it moved. `onMoved` is told the running count after each family.
 */
export async function rekey(
  kv: Deno.Kv,
  at: { keys: KeyLayout; writer: MigrationWriter; call: MigrationCall },
  onMoved: (moved: number) => Promise<void>,
): Promise<number> {
  const { keys, writer, call } = at;
  const depth = keys.prefix.length;
  let moved = 0;
  for (const family of HASHED_FAMILIES) {
    const entries = kv.list(oldKeys(keys, family), { batchSize: MAX_LIST_BATCH });
    while (true) {
      const step = await call("listOldKeys", () => entries.next());
      if (step.done) break;
      const { key, value } = step.value;
      if (key[depth + family.hashes[0]] instanceof Uint8Array) continue;
      const to = newKey(key, family, depth);
      await writer.move(key, kvSet(to, family.part === SUBJECT_PART ? EMPTY : value));
      moved++;
    }
    await onMoved(moved);
  }
  return moved;
}
