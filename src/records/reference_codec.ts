// The reference codec: the general-purpose path through cborg, a strict
// deterministic CBOR library. The fast encoder and the strict body reader
// (payload_encoder.ts, payload_decoder.ts) are checked against it byte for
// byte and accept for accept (tests/records/encoder_test.ts,
// decoder_test.ts). Decoding also uses it for the one body shape the strict
// reader does not parse (a tag that is not a text string), to tell malformed
// CBOR from a schema violation exactly as before.

import { decode, encode, rfc8949EncodeOptions } from "cborg";
import { fromBody, toBody } from "./cbor_body.ts";
import { RecordDecodeError } from "./errors.ts";
import { PAYLOAD_HEADER_SIZE, RECORD_TYPE, type RecordType, TYPE_OFFSET } from "./format.ts";
import type { KnowledgeRecord } from "./types.ts";
import { validateRecord } from "./validate.ts";

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

/** The payload of a validated record, encoded by cborg with its RFC 8949 options. */
export function referenceEncode(record: KnowledgeRecord): Uint8Array {
  const body = encode(toBody(record), rfc8949EncodeOptions);
  const payload = new Uint8Array(PAYLOAD_HEADER_SIZE + body.length);
  payload[TYPE_OFFSET] = RECORD_TYPE[record.type];
  payload.set(body, PAYLOAD_HEADER_SIZE);
  return payload;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Decodes the body of a payload whose header has been checked: cborg's strict
 * decode, the body map's kinds, validation, then a byte-for-byte comparison
 * of the body with its re-encoding.
 *
 * @throws {RecordDecodeError} If the body is malformed or not canonical.
 * @throws {RecordValidationError} If it is well-formed but breaks the schema.
 */
export function referenceDecodeBody(type: RecordType, payload: Uint8Array): KnowledgeRecord {
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
