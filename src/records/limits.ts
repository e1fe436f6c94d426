/**
 * Bounds on knowledge records, chosen so that every valid record fits Deno KV
 * under the store's key layout. Records do not import the store; the store's
 * `limits.ts` holds Deno KV's own limits and its tests check that the
 * arithmetic here stays consistent with them.
 *
 * @module
 */

/**
 * Largest whole payload (header + CBOR body): Deno KV's value limit, because
 * the store keeps the payload bytes unchanged as the value of `["H", hash]`,
 * `["V", assertion, vote]` and `["E", id]`.
 *
 * @example Check a payload fits before logging it
 * ```ts
 * import { MAX_PAYLOAD_BYTES, serializeEpoch } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const payload = serializeEpoch({ id: "01", name: "e", description: "", startTime: 0 });
 * assert.ok(payload.length <= MAX_PAYLOAD_BYTES);
 * ```
 */
export const MAX_PAYLOAD_BYTES = 65_536;

/**
 * Largest encoded key prefix a store may put in front of its keys. The store
 * rejects longer prefixes, so the subject bound below holds under any prefix.
 */
export const MAX_PREFIX_KEY_BYTES = 256;

/**
 * Deno KV's key limit (2,048 bytes after tuple encoding), repeated here so
 * records need not import the store.
 */
export const KV_KEY_LIMIT_BYTES = 2_048;

/**
 * Encoded size of the parts of `["S", subject, assertionHash]` other than the
 * subject's own bytes. Deno KV encodes a string part as a 0x02 tag, the UTF-8
 * bytes and a 0x00 terminator: `"S"` is 1 + 1 + 1 = 3 bytes, the subject adds
 * 1 + 1 = 2 bytes around its bytes, the 64-hex hash is 1 + 64 + 1 = 66 bytes.
 */
export const SUBJECT_KEY_OVERHEAD_BYTES: number = 3 + 2 + 66;

/**
 * Largest subject, in UTF-8 bytes: the key limit minus the largest prefix and
 * the rest of the subject key, 2,048 − 256 − 71 = 1,721. Subjects may not hold
 * U+0000, which the key encoding would escape into two bytes.
 *
 * @example Check a subject before building an assertion
 * ```ts
 * import { MAX_SUBJECT_BYTES, RecordValidationError, serializeAssertion } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const fits = (subject: string) => new TextEncoder().encode(subject).length <= MAX_SUBJECT_BYTES;
 * const claim = { predicate: "p", object: "o", source: "s", confidence: 1, timestamp: 0 };
 * const long = "x".repeat(MAX_SUBJECT_BYTES + 1);
 * assert.equal(fits(long), false);
 * assert.throws(() => serializeAssertion({ ...claim, subject: long }), RecordValidationError);
 * ```
 */
export const MAX_SUBJECT_BYTES: number = KV_KEY_LIMIT_BYTES - MAX_PREFIX_KEY_BYTES -
  SUBJECT_KEY_OVERHEAD_BYTES;

/**
 * Largest voter name, in UTF-8 bytes: the store keys each voter's winning vote
 * by `[...prefix, "W", assertionHash, voter]`, whose overhead is that of the
 * subject key (`"W"` 3 bytes, the voter's tag and terminator 2, the hash 66),
 * so the bound is the subject's, 1,721. Voters may not hold U+0000 either.
 *
 * @example Check a voter before building a vote
 * ```ts
 * import { MAX_VOTER_BYTES, RecordValidationError, serializeVote } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const vote = { assertion: "ab".repeat(32), value: 1, timestamp: 0 };
 * serializeVote({ ...vote, voter: "x".repeat(MAX_VOTER_BYTES) });
 * assert.throws(
 *   () => serializeVote({ ...vote, voter: "x".repeat(MAX_VOTER_BYTES + 1) }),
 *   RecordValidationError,
 * );
 * ```
 */
export const MAX_VOTER_BYTES: number = MAX_SUBJECT_BYTES;

/**
 * Most tags one assertion may carry.
 *
 * @example Keep the first tags of a source that has more
 * ```ts
 * import { MAX_TAGS, RecordValidationError, serializeAssertion } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const claim = {
 *   subject: "s", predicate: "p", object: "o",
 *   source: "doc", confidence: 1, timestamp: 0,
 * };
 * const labels = Array.from({ length: 100 }, (_, i) => `label-${i}`);
 * assert.throws(() => serializeAssertion({ ...claim, tags: labels }), RecordValidationError);
 * serializeAssertion({ ...claim, tags: labels.slice(0, MAX_TAGS) });
 * ```
 */
export const MAX_TAGS = 64;

/** Length in hex characters of a BLAKE3-256 content hash. */
export const HASH_HEX_LENGTH = 64;

/**
 * Largest epoch id, in bytes (shown as 2 to 64 hex characters).
 *
 * @example Make an epoch id from random bytes
 * ```ts
 * import { isEpochId, MAX_EPOCH_ID_BYTES, toHex } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const id = toHex(crypto.getRandomValues(new Uint8Array(MAX_EPOCH_ID_BYTES)));
 * assert.equal(isEpochId(id), true);
 * assert.equal(isEpochId(id + "00"), false);
 * ```
 */
export const MAX_EPOCH_ID_BYTES = 32;
