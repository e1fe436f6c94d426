/**
 * Turning one journal payload into the KV sets that apply it, or into the
 * reason it is a poison record.
 *
 * @module
 */

import {
  decodeRecord,
  type KnowledgeRecord,
  RecordDecodeError,
  RecordValidationError,
  toHex,
} from "../records/mod.ts";
import { indexSets } from "./index_sets.ts";
import { kvSet } from "./kv_set.ts";
import type { KeyLayout } from "./keys.ts";
import { MAX_KEY_BYTES, MAX_VALUE_BYTES } from "./limits.ts";
import type { PoisonKind, RecordPlan } from "./types.ts";

/** BLAKE3-256 digest width. */
const DIGEST_BYTES = 32;

export { kvSet };

function poison(kind: PoisonKind, detail: string): RecordPlan {
  return { ok: false, kind, reason: `${kind}: ${detail}` };
}

function setsFor(keys: KeyLayout, record: KnowledgeRecord, hash: string, payload: Uint8Array) {
  switch (record.type) {
    case "assertion":
      return [
        kvSet(keys.assertion(hash), payload),
        kvSet(keys.subjectEntry(record.value.subject, hash), hash),
      ];
    case "vote":
      return [kvSet(keys.vote(record.value.assertion, hash), payload)];
    case "epoch":
      return [kvSet(keys.epoch(record.value.id), payload)];
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
  const hash = toHex(digest);
  const sets = [...setsFor(keys, record, hash, payload), ...indexSets(keys, { record, hash })];
  for (const set of sets) {
    if (set.keyBytes > MAX_KEY_BYTES) {
      return poison("too-large", `key is ${set.keyBytes} bytes, more than ${MAX_KEY_BYTES}`);
    }
  }
  return { ok: true, type: record.type, hash, sets };
}
