/**
 * Fixed-size digests that stand for unbounded text in index keys. A voter
 * name or a predicate may be as long as a payload allows (64 KiB), far over
 * Deno KV's 2 KiB key limit, so the indexes that need them key on their
 * BLAKE3-256 digest (64 hex characters, 66 encoded bytes) instead.
 *
 * @module
 */

import { hashInto } from "blake3-jit";
import { toHex } from "../records/mod.ts";
import { TEXT_LOOP_MAX, utf8Into } from "../records/_utf8.ts";

/** BLAKE3-256 digest width. */
const DIGEST_BYTES = 32;

/** Most UTF-8 bytes one UTF-16 code unit encodes to (a surrogate pair: 4 for 2). */
const UTF8_PER_UNIT = 3;

/** Inputs up to this many bytes are encoded into one reused array; longer ones into their own. */
const SCRATCH_BYTES = 4096;

const utf8 = new TextEncoder();
const scratch = new Uint8Array(SCRATCH_BYTES);

// Every record's index keys hash a text or two, synchronously. blake3-jit
// hashes short inputs in plain JavaScript straight into the digest array; an
// incremental WASM hasher paid a call into WASM per update and per digest,
// and encoding each text to a fresh array, which cost more than the hash of a
// few dozen bytes. Both are BLAKE3-256: the digests are the same bytes.

/** BLAKE3-256 of `first` as UTF-8, then (when given) a zero byte and `second` as UTF-8. */
function digestOf(first: string, second?: string): Uint8Array {
  const units = first.length + (second === undefined ? 0 : 1 + second.length);
  const bound = UTF8_PER_UNIT * units;
  const buf = bound <= SCRATCH_BYTES ? scratch : new Uint8Array(bound);
  let n = encode(first, buf, 0);
  if (second !== undefined) {
    buf[n++] = 0;
    n = encode(second, buf, n);
  }
  const out = new Uint8Array(DIGEST_BYTES);
  hashInto(new Uint8Array(buf.buffer, 0, n), out);
  return out;
}

/** Writes `text` as UTF-8 into `buf` at `at` (room checked by the caller); returns the end. */
function encode(text: string, buf: Uint8Array, at: number): number {
  // Most index texts are a few dozen characters: two encodeInto calls (an op
  // and a view each) cost more than hashing them did.
  return text.length <= TEXT_LOOP_MAX
    ? utf8Into(text, buf, at)
    : at + utf8.encodeInto(text, buf.subarray(at)).written;
}

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
  return digestOf(voter);
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
  return digestOf(subject, predicate);
}
