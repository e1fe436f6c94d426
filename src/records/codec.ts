/**
 * Serialization and decoding of knowledge-record payloads:
 * `[type: u8][7 zero bytes][deterministic CBOR body]`.
 *
 * @module
 */

import { RecordDecodeError, RecordValidationError } from "./errors.ts";
import {
  PAYLOAD_HEADER_SIZE,
  recordTypeName,
  RESERVED_OFFSET,
  RESERVED_SIZE,
  TYPE_OFFSET,
} from "./format.ts";
import { MAX_PAYLOAD_BYTES } from "./limits.ts";
import { readBody } from "./payload_decoder.ts";
import { encodePayload } from "./payload_encoder.ts";
import { referenceDecodeBody } from "./reference_codec.ts";
import type { Assertion, Epoch, KnowledgeRecord, Vote } from "./types.ts";
import { validateAssertion, validateEpoch, validateRecord, validateVote } from "./validate.ts";

/**
 * The payload of a record that `validateRecord` (or `parseRecordJson`)
 * already returned, size-checked: for callers that validated first, so that a
 * record is not validated twice. With `borrow`, a view valid only until the
 * next payload is encoded (see `encodePayload`).
 *
 * @throws {RecordValidationError} If the payload is over `MAX_PAYLOAD_BYTES`.
 */
export function encodeValidated(record: KnowledgeRecord, borrow = false): Uint8Array {
  const payload = encodePayload(record, borrow);
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new RecordValidationError(
      record.type,
      "(payload)",
      `must encode to at most ${MAX_PAYLOAD_BYTES} bytes, got ${payload.length}`,
    );
  }
  return payload;
}

/**
 * Validates an assertion and encodes it as a payload.
 *
 * @throws {RecordValidationError} Naming the first offending field.
 *
 * @example Serialize an assertion
 * ```ts
 * import { RECORD_TYPE, serializeAssertion } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const payload = serializeAssertion({
 *   subject: "earth",
 *   predicate: "shape",
 *   object: "oblate spheroid",
 *   source: "survey",
 *   confidence: 0.9,
 *   timestamp: 1_700_000_000_000,
 * });
 * assert.deepEqual(payload[0], RECORD_TYPE.assertion);
 * ```
 */
export function serializeAssertion(assertion: Assertion): Uint8Array {
  return encodeValidated({ type: "assertion", value: validateAssertion(assertion) });
}

/**
 * Validates a vote and encodes it as a payload.
 *
 * @throws {RecordValidationError} Naming the first offending field.
 *
 * @example Serialize a vote
 * ```ts
 * import { RECORD_TYPE, serializeVote } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const payload = serializeVote({ assertion: "ab".repeat(32), voter: "ann", value: 1, timestamp: 0 });
 * assert.deepEqual(payload[0], RECORD_TYPE.vote);
 * ```
 */
export function serializeVote(vote: Vote): Uint8Array {
  return encodeValidated({ type: "vote", value: validateVote(vote) });
}

/**
 * Validates an epoch and encodes it as a payload.
 *
 * @throws {RecordValidationError} Naming the first offending field.
 *
 * @example Serialize an epoch
 * ```ts
 * import { RECORD_TYPE, serializeEpoch } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const payload = serializeEpoch({ id: "01", name: "first", description: "", startTime: 0 });
 * assert.deepEqual(payload[0], RECORD_TYPE.epoch);
 * ```
 */
export function serializeEpoch(epoch: Epoch): Uint8Array {
  return encodeValidated({ type: "epoch", value: validateEpoch(epoch) });
}

/**
 * Validates a tagged record and encodes it as a payload.
 *
 * @throws {RecordValidationError} Naming the first offending field.
 *
 * @example Serialize any record
 * ```ts
 * import { decodeRecord, serializeRecord } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const record = {
 *   type: "epoch" as const,
 *   value: { id: "01", name: "first", description: "", startTime: 0 },
 * };
 * assert.deepEqual(decodeRecord(serializeRecord(record)), record);
 * ```
 */
export function serializeRecord(record: KnowledgeRecord): Uint8Array {
  return encodeValidated(validateRecord(record));
}

/**
 * Decodes and validates a payload. Only the canonical encoding of a valid
 * record is accepted: the body is read in one strict pass that checks
 * deterministic form (shortest integers, lengths and floats, sorted unique
 * keys, definite lengths, the record's own schema) as it goes.
 *
 * @throws {RecordDecodeError} If the bytes are not a well-formed canonical payload.
 * @throws {RecordValidationError} If they are well-formed but break the schema.
 *
 * @example Decode a payload
 * ```ts
 * import { decodeRecord, serializeVote } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const vote = { assertion: "ab".repeat(32), voter: "ann", value: -0.5, timestamp: 7 };
 * assert.deepEqual(decodeRecord(serializeVote(vote)), { type: "vote", value: vote });
 * ```
 */
export function decodeRecord(payload: Uint8Array): KnowledgeRecord {
  if (!(payload instanceof Uint8Array)) {
    throw new TypeError(`Cannot decode record: expected a Uint8Array, got ${typeof payload}`);
  }
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new RecordDecodeError(
      `payload is ${payload.length} bytes, more than ${MAX_PAYLOAD_BYTES}`,
    );
  }
  if (payload.length <= PAYLOAD_HEADER_SIZE) {
    throw new RecordDecodeError(
      `payload is ${payload.length} bytes, too short for a ${PAYLOAD_HEADER_SIZE}-byte header and a body`,
    );
  }
  const type = recordTypeName(payload[TYPE_OFFSET]);
  if (type === undefined) {
    throw new RecordDecodeError(`unknown record type ${payload[TYPE_OFFSET]}`, {
      kind: "unknown-type",
    });
  }
  for (let i = RESERVED_OFFSET; i < RESERVED_OFFSET + RESERVED_SIZE; i++) {
    if (payload[i] !== 0) throw new RecordDecodeError(`reserved header byte ${i} is not zero`);
  }
  const read = readBody(type, payload);
  if (read.kind === "off-schema") {
    // A tag that is not text: the reference decoder tells malformed CBOR
    // (RecordDecodeError) from a schema violation (RecordValidationError).
    referenceDecodeBody(type, payload);
    throw new RecordDecodeError(`${type} body key "tg" must be an array of text strings`);
  }
  const record = validateRecord({ type, value: read.value } as unknown as KnowledgeRecord);
  if (read.nonCanonical !== undefined) {
    throw new RecordDecodeError(
      `CBOR body is not in deterministic (canonical) encoding: ${read.nonCanonical}`,
    );
  }
  return record;
}
