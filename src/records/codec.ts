/**
 * Serialization and decoding of knowledge-record payloads:
 * `[type: u8][7 zero bytes][deterministic CBOR body]`.
 *
 * @module
 */

import { decode, encode, rfc8949EncodeOptions } from "cborg";
import { fromBody, toBody } from "./cbor_body.ts";
import { RecordDecodeError, RecordValidationError } from "./errors.ts";
import {
  PAYLOAD_HEADER_SIZE,
  RECORD_TYPE,
  recordTypeName,
  RESERVED_OFFSET,
  RESERVED_SIZE,
  TYPE_OFFSET,
} from "./format.ts";
import { MAX_PAYLOAD_BYTES } from "./limits.ts";
import type { Assertion, Epoch, KnowledgeRecord, Vote } from "./types.ts";
import { validateAssertion, validateEpoch, validateRecord, validateVote } from "./validate.ts";

/** Strict decoding: anything RFC 8949 §4.2.1 would not produce is rejected. */
const DECODE_OPTIONS = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  rejectDuplicateMapKeys: true,
  useMaps: false,
} as const;

function encodeValidated(record: KnowledgeRecord): Uint8Array {
  const body = encode(toBody(record), rfc8949EncodeOptions);
  const size = PAYLOAD_HEADER_SIZE + body.length;
  if (size > MAX_PAYLOAD_BYTES) {
    throw new RecordValidationError(
      record.type,
      "(payload)",
      `must encode to at most ${MAX_PAYLOAD_BYTES} bytes, got ${size}`,
    );
  }
  const payload = new Uint8Array(size);
  payload[TYPE_OFFSET] = RECORD_TYPE[record.type];
  payload.set(body, PAYLOAD_HEADER_SIZE);
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

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Decodes and validates a payload. Only the canonical encoding of a valid
 * record is accepted: the record is re-encoded and compared byte for byte.
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
    throw new RecordDecodeError(`unknown record type ${payload[TYPE_OFFSET]}`);
  }
  for (let i = RESERVED_OFFSET; i < RESERVED_OFFSET + RESERVED_SIZE; i++) {
    if (payload[i] !== 0) throw new RecordDecodeError(`reserved header byte ${i} is not zero`);
  }
  const bodyBytes = payload.subarray(PAYLOAD_HEADER_SIZE);
  let body: unknown;
  try {
    body = decode(bodyBytes, DECODE_OPTIONS);
  } catch (cause) {
    throw new RecordDecodeError(`malformed CBOR body: ${(cause as Error).message}`, { cause });
  }
  const record = validateRecord({ type, value: fromBody(type, body) } as KnowledgeRecord);
  // Validation changes nothing else (fromBody refuses −0, the one value it
  // would normalise), so the body's own re-encoding is the record's canonical
  // body: any other byte string for the same map is refused.
  if (!sameBytes(encode(body, rfc8949EncodeOptions), bodyBytes)) {
    throw new RecordDecodeError("CBOR body is not in deterministic (canonical) encoding");
  }
  return record;
}
