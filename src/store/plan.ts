/**
 * Turning one journal payload into the KV sets that apply it, or into the
 * reason it is a poison record.
 *
 * @module
 */

import {
  decodeRecord,
  fromHex,
  type KnowledgeRecord,
  RecordDecodeError,
  RecordValidationError,
  toHex,
} from "../records/mod.ts";
import { indexSets } from "./index_sets.ts";
import { kvSet } from "./kv_set.ts";
import type { KeyLayout } from "./keys.ts";
import { MAX_KEY_BYTES, MAX_VALUE_BYTES } from "./limits.ts";
import type { KvSet, PoisonKind, RecordPlan } from "./types.ts";
import type { Resolvable, WinnerValue } from "./consensus_types.ts";

/** Value of the subject index entry. */
const EMPTY = new Uint8Array(0);

/** BLAKE3-256 digest width. */
const DIGEST_BYTES = 32;

export { kvSet };

function poison(kind: PoisonKind, detail: string): RecordPlan {
  return { ok: false, kind, reason: `${kind}: ${detail}` };
}

function keyTooLarge(set: KvSet): RecordPlan {
  return poison("too-large", `key is ${set.keyBytes} bytes, more than ${MAX_KEY_BYTES}`);
}

/** A record's content hash: as hex (values, versions) and as bytes (keys, converted once). */
interface RecordHash {
  hex: string;
  bytes: Uint8Array;
}

/** The unconditional sets of a record (its index entries included), and what is resolved at commit time. */
function setsFor(
  keys: KeyLayout,
  record: KnowledgeRecord,
  hash: RecordHash,
  payload: Uint8Array,
): { sets: KvSet[]; resolve?: Resolvable } {
  switch (record.type) {
    case "assertion": {
      const sets = [
        kvSet(keys.assertion(hash.bytes), payload),
        // Empty: the key ends with the hash that leads to the payload.
        kvSet(keys.subjectEntry(record.value.subject, hash.bytes), EMPTY),
      ];
      for (const set of indexSets(keys, { record, hash: hash.hex, digest: hash.bytes })) {
        sets.push(set);
      }
      return { sets };
    }
    case "vote": {
      const { assertion, voter, value, timestamp } = record.value;
      const winner: WinnerValue = { t: timestamp, h: hash.hex, v: value };
      // Converted once for the three keys that hold it.
      const assertionBytes = fromHex(assertion);
      const indexed = { record, hash: hash.hex, digest: hash.bytes, target: assertionBytes };
      return {
        // History: every vote stays under its content-addressed key.
        sets: [kvSet(keys.vote(assertionBytes, hash.bytes), payload), ...indexSets(keys, indexed)],
        resolve: {
          kind: "vote",
          assertion,
          voter,
          value,
          time: timestamp,
          hash: hash.hex,
          set: kvSet(keys.winner(assertionBytes, voter), winner),
        },
      };
    }
    case "epoch":
      return {
        sets: [],
        resolve: {
          kind: "epoch",
          id: record.value.id,
          time: record.value.startTime,
          hash: hash.hex,
          set: kvSet(keys.epoch(record.value.id), payload),
        },
      };
  }
}

/**
 * Plans the sets for one payload whose BLAKE3-256 digest the journal already
 * computed. Poison kinds: `too-large` (payload or a key over Deno KV's
 * limits), `unknown-type`, `undecodable`, `invalid`.
 *
 * @throws {TypeError} If `digest` is not 32 bytes (a caller bug, not poison).
 */
export function planRecord(keys: KeyLayout, payload: Uint8Array, digest: Uint8Array): RecordPlan {
  if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_BYTES) {
    throw new TypeError(
      `Cannot plan record: digest must be ${DIGEST_BYTES} bytes, got ${digest?.length}`,
    );
  }
  if (payload.length > MAX_VALUE_BYTES) {
    return poison("too-large", `payload is ${payload.length} bytes, more than ${MAX_VALUE_BYTES}`);
  }
  let record: KnowledgeRecord;
  try {
    record = decodeRecord(payload);
  } catch (e) {
    if (e instanceof RecordValidationError) return poison("invalid", e.message);
    if (e instanceof RecordDecodeError) return poison(e.kind, e.reason);
    throw e;
  }
  // A copy: the keys hold it, and the caller may reuse its digest's buffer.
  const bytes = digest.slice();
  const hash = toHex(bytes);
  const { sets, resolve } = setsFor(keys, record, { hex: hash, bytes }, payload);
  for (const set of sets) if (set.keyBytes > MAX_KEY_BYTES) return keyTooLarge(set);
  if (resolve !== undefined && resolve.set.keyBytes > MAX_KEY_BYTES) {
    return keyTooLarge(resolve.set);
  }
  return resolve === undefined
    ? { ok: true, type: record.type, hash, sets }
    : { ok: true, type: record.type, hash, sets, resolve };
}
