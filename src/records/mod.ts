/**
 * Knowledge records: assertions, votes and epochs, their validation and their
 * canonical payload encoding `[type: u8][7 zero bytes][deterministic CBOR]`.
 *
 * @example Serialize, hash and decode an assertion
 * ```ts
 * import { contentHash, decodeRecord, serializeAssertion } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const assertion = {
 *   subject: "earth",
 *   predicate: "orbits",
 *   object: "sun",
 *   source: "kepler",
 *   confidence: 1,
 *   timestamp: 0,
 * };
 * const payload = serializeAssertion(assertion);
 * assert.deepEqual(decodeRecord(payload), { type: "assertion", value: assertion });
 * assert.deepEqual((await contentHash(payload)).length, 64);
 * ```
 *
 * @module
 */

export { PAYLOAD_HEADER_SIZE, RECORD_TYPE, type RecordType } from "./format.ts";
export {
  MAX_EPOCH_ID_BYTES,
  MAX_PAYLOAD_BYTES,
  MAX_SUBJECT_BYTES,
  MAX_TAGS,
  MAX_VOTER_BYTES,
} from "./limits.ts";
export {
  RecordDecodeError,
  type RecordDecodeErrorKind,
  type RecordDecodeErrorOptions,
  RecordValidationError,
} from "./errors.ts";
export type {
  Assertion,
  AssertionRef,
  Epoch,
  KnowledgeRecord,
  ObjectValue,
  Vote,
} from "./types.ts";
export {
  decodeRecord,
  serializeAssertion,
  serializeEpoch,
  serializeRecord,
  serializeVote,
} from "./codec.ts";
export { parseRecordJson, recordToJson } from "./json.ts";
export {
  type ParsedLine,
  parseRecordLine,
  type ParseRecordLineOptions,
  parseRecordValue,
  type RecordKind,
  type RejectedLine,
} from "./json_line.ts";
export { contentHash } from "./hash.ts";
export { fromHex, isEpochId, isHash, toHex } from "./hex.ts";
