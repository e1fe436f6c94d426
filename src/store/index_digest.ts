/**
 * Fixed-size digests that stand for unbounded text in index keys. A voter
 * name or a predicate may be as long as a payload allows (64 KiB), far over
 * Deno KV's 2 KiB key limit, so the indexes that need them key on their
 * BLAKE3-256 digest (64 hex characters, 66 encoded bytes) instead.
 *
 * @module
 */

import { createBLAKE3 } from "hash-wasm";
import { toHex } from "../records/mod.ts";

// Created once at load, then used synchronously: planning a record is
// synchronous, and an await per record would cost more than the hash.
const hasher = await createBLAKE3();
const SEPARATOR = new Uint8Array([0]);

/**
 * The digest that keys a voter's history: BLAKE3-256 of the voter's UTF-8
 * bytes, as 64 lowercase hex characters.
 *
 * @example Key a voter's votes on an assertion
 * ```ts
 * import { KeyLayout, voterDigest } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const digest = voterDigest("ann");
 * assert.match(digest, /^[0-9a-f]{64}$/);
 * assert.equal(voterDigest("ann"), digest);
 * const prefix = new KeyLayout().voterHistory("ab".repeat(32), digest);
 * assert.equal(prefix[0], "VH");
 * ```
 */
export function voterDigest(voter: string): string {
  return toHex(voterDigestBytes(voter));
}

/** `voterDigest(voter)` as its 32 bytes, as keys hold it. */
export function voterDigestBytes(voter: string): Uint8Array {
  hasher.init();
  hasher.update(voter);
  return hasher.digest("binary");
}

/**
 * The digest that keys a subject's assertions of one predicate: BLAKE3-256
 * of the subject's UTF-8 bytes, one 0x00 byte, and the predicate's UTF-8
 * bytes. Subjects never hold U+0000, so the separator makes the pair
 * unambiguous.
 *
 * @example Two pairs with the same concatenation differ
 * ```ts
 * import { subjectPredicateDigest } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * assert.notEqual(subjectPredicateDigest("ab", "c"), subjectPredicateDigest("a", "bc"));
 * ```
 */
export function subjectPredicateDigest(subject: string, predicate: string): string {
  return toHex(subjectPredicateDigestBytes(subject, predicate));
}

/** `subjectPredicateDigest(subject, predicate)` as its 32 bytes, as keys hold it. */
export function subjectPredicateDigestBytes(subject: string, predicate: string): Uint8Array {
  hasher.init();
  hasher.update(subject);
  hasher.update(SEPARATOR);
  hasher.update(predicate);
  return hasher.digest("binary");
}
