/**
 * Schemas of the three knowledge-record types. docs/FORMAT.md section 2 gives
 * their CBOR encoding.
 *
 * @module
 */

/**
 * A reference to another assertion, by its 64-hex content hash.
 *
 * @example Refer to another assertion
 * ```ts
 * import { type AssertionRef } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const ref: AssertionRef = { ref: "ab".repeat(32) };
 * assert.equal(ref.ref.length, 64);
 * ```
 */
export interface AssertionRef {
  /** BLAKE3-256 of the referenced assertion's payload, 64 lowercase hex characters. */
  ref: string;
}

/**
 * Object of an assertion: text, a finite number, a boolean, or a reference.
 *
 * @example Objects of each kind
 * ```ts
 * import { type ObjectValue } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const objects: ObjectValue[] = ["sun", 42, true, { ref: "ab".repeat(32) }];
 * assert.equal(objects.length, 4);
 * ```
 */
export type ObjectValue = string | number | boolean | AssertionRef;

/**
 * A claim `subject predicate object`, made by `source` with some confidence.
 *
 * @example Build an assertion
 * ```ts
 * import { type Assertion, serializeAssertion } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const a: Assertion = {
 *   subject: "earth", predicate: "orbits", object: "sun",
 *   source: "kepler", confidence: 0.99, timestamp: Date.now(), tags: ["astronomy"],
 * };
 * assert.equal(serializeAssertion(a)[0], 0);
 * ```
 */
export interface Assertion {
  /** What the claim is about; non-empty, at most `MAX_SUBJECT_BYTES` UTF-8 bytes, no U+0000. */
  subject: string;
  /** The relation claimed; non-empty. */
  predicate: string;
  /** The value claimed; numbers must be finite (−0 is stored as 0). */
  object: ObjectValue;
  /** Who or what made the claim; non-empty. */
  source: string;
  /** Confidence in [0, 1]. */
  confidence: number;
  /** Epoch id the claim belongs to, 2–64 lowercase hex characters. */
  epoch?: string;
  /** When the claim was made: integer milliseconds since the Unix epoch, ≥ 0. */
  timestamp: number;
  /** Free labels, each non-empty, no duplicates, at most `MAX_TAGS`; order is kept. */
  tags?: string[];
}

/**
 * A vote for (value > 0) or against (value < 0) an assertion.
 *
 * @example Build a vote
 * ```ts
 * import { serializeVote, type Vote } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const v: Vote = { assertion: "ab".repeat(32), voter: "ann", value: -1, timestamp: 0, reason: "wrong" };
 * assert.equal(serializeVote(v)[0], 1);
 * ```
 */
export interface Vote {
  /** Content hash of the assertion voted on, 64 lowercase hex characters. */
  assertion: string;
  /** Who votes; non-empty. */
  voter: string;
  /** Weight in [−1, 1]; 0 is a neutral vote (−0 is stored as 0). */
  value: number;
  /** Epoch id the vote belongs to, 2–64 lowercase hex characters. */
  epoch?: string;
  /** When the vote was cast: integer milliseconds since the Unix epoch, ≥ 0. */
  timestamp: number;
  /** Why the voter voted so; non-empty when present. */
  reason?: string;
}

/**
 * A named period that assertions and votes can belong to.
 *
 * @example Build an epoch
 * ```ts
 * import { type Epoch, serializeEpoch } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const e: Epoch = { id: "0a", name: "Q1", description: "", startTime: 0, endTime: 1 };
 * assert.equal(serializeEpoch(e)[0], 2);
 * ```
 */
export interface Epoch {
  /** Epoch id: 1–32 bytes shown as 2–64 lowercase hex characters. */
  id: string;
  /** Display name; non-empty. */
  name: string;
  /** Free description; may be empty. */
  description: string;
  /** Id of the parent epoch, 2–64 lowercase hex characters; never the epoch's own id. */
  parent?: string;
  /** Start: integer milliseconds since the Unix epoch, ≥ 0. */
  startTime: number;
  /** End: integer milliseconds since the Unix epoch, ≥ `startTime`. */
  endTime?: number;
}

/**
 * Any knowledge record, tagged with its type.
 *
 * @example Switch on the record type
 * ```ts
 * import { decodeRecord, type KnowledgeRecord, serializeEpoch } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const r: KnowledgeRecord = decodeRecord(
 *   serializeEpoch({ id: "0a", name: "Q1", description: "", startTime: 0 }),
 * );
 * assert.equal(r.type === "epoch" ? r.value.name : "", "Q1");
 * ```
 */
export type KnowledgeRecord =
  | { type: "assertion"; value: Assertion }
  | { type: "vote"; value: Vote }
  | { type: "epoch"; value: Epoch };
