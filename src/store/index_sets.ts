/**
 * The index entries of one record: the KV sets that make the queries of
 * `queries.ts` and `index_queries.ts` possible, beside the record's own
 * payload key. The ingest plan adds them to every record's commit, and a
 * migration that rebuilds indexes from stored records calls the same
 * function, so both write exactly the same keys.
 *
 * Every entry's value is empty: the key says everything (the hashes it ends
 * with lead to the payload), and an empty value costs nothing against the
 * commit's byte budget. docs/FORMAT.md section 3.1 lists each index with the
 * query it serves.
 *
 * @module
 */

import type { KnowledgeRecord } from "../records/mod.ts";
import { subjectPredicateDigestBytes, voterDigestBytes } from "./index_digest.ts";
import type { KeyLayout } from "./keys.ts";
import { kvSet } from "./kv_set.ts";
import type { KvSet } from "./types.ts";

/** Value of every index entry. */
const EMPTY = new Uint8Array(0);

/**
 * A stored record and its content hash, as `indexSets` reads it.
 *
 * @example Describe a stored vote
 * ```ts
 * import type { IndexedRecord } from "@stemedb/ingest/store";
 *
 * const stored: IndexedRecord = {
 *   hash: "cd".repeat(32),
 *   record: { type: "vote", value: { assertion: "ab".repeat(32), voter: "ann", value: 1, timestamp: 0 } },
 * };
 * console.log(stored.record.type); // vote
 * ```
 */
export interface IndexedRecord {
  /** The record, decoded. */
  record: KnowledgeRecord;
  /** BLAKE3-256 of its payload, 64 lowercase hex characters. */
  hash: string;
  /**
   * The same hash as its 32 bytes, when the caller has them: the keys take
   * this array (it must not change afterwards) instead of converting `hash`.
   *
   * @default {undefined}
   */
  digest?: Uint8Array;
  /**
   * A vote's `assertion` as its 32 bytes, when the caller has them: the
   * keys take this array (it must not change afterwards) instead of
   * converting the hex again.
   *
   * @default {undefined}
   */
  target?: Uint8Array;
}

/**
 * The index sets of one record: for an assertion its subject-list entry,
 * its subject-and-predicate entry, its reference entry (object `{ ref }`)
 * and its epoch entry (when it names an epoch); for a vote its entry in the
 * voter's history on the assertion; an epoch has none. Writing them again is
 * harmless: the same record always gives the same keys and values.
 *
 * @example Rebuild the indexes of a stored assertion
 * ```ts
 * import { indexSets, KeyLayout } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const keys = new KeyLayout();
 * const value = {
 *   subject: "earth", predicate: "orbits", object: { ref: "ab".repeat(32) },
 *   source: "kepler", confidence: 1, timestamp: 0, epoch: "0a",
 * };
 * const sets = indexSets(keys, { record: { type: "assertion", value }, hash: "cd".repeat(32) });
 * assert.deepEqual(sets.map((s) => s.key[0]), ["SL", "SP", "R", "EA"]);
 * ```
 */
export function indexSets(keys: KeyLayout, stored: IndexedRecord): KvSet[] {
  const { record } = stored;
  const hash = stored.digest ?? stored.hash;
  switch (record.type) {
    case "assertion": {
      const a = record.value;
      const sets = [
        kvSet(keys.subjectListEntry(a.subject), EMPTY),
        kvSet(
          keys.subjectPredicateEntry(subjectPredicateDigestBytes(a.subject, a.predicate), hash),
          EMPTY,
        ),
      ];
      if (typeof a.object === "object") {
        sets.push(kvSet(keys.referenceEntry(a.object.ref, hash), EMPTY));
      }
      if (a.epoch !== undefined) sets.push(kvSet(keys.epochAssertionEntry(a.epoch, hash), EMPTY));
      return sets;
    }
    case "vote": {
      const v = record.value;
      const key = keys.voterHistoryEntry(stored.target ?? v.assertion, voterDigestBytes(v.voter), {
        timestamp: v.timestamp,
        hash,
      });
      return [kvSet(key, EMPTY)];
    }
    case "epoch":
      return [];
  }
}
