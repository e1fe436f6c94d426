/**
 * Byte-level constants of the knowledge-record payload. This file is the one
 * place they are defined; docs/FORMAT.md section 2 describes the same grammar.
 *
 * Payload: `[type: u8][reserved: 7 zero bytes][body: deterministic CBOR map]`.
 *
 * @module
 */

/**
 * Record type codes carried in the first payload byte.
 *
 * @example Tell a payload's record type from its first byte
 * ```ts
 * import { RECORD_TYPE, type RecordType, serializeEpoch } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const payload = serializeEpoch({ id: "0a", name: "e", description: "", startTime: 0 });
 * const names = Object.keys(RECORD_TYPE) as RecordType[];
 * assert.equal(names.find((name) => RECORD_TYPE[name] === payload[0]), "epoch");
 * ```
 */
export const RECORD_TYPE = { assertion: 0, vote: 1, epoch: 2 } as const;

/**
 * Name of a record type: `"assertion"`, `"vote"` or `"epoch"`.
 *
 * @example Count records by type
 * ```ts
 * import { type RecordType, parseRecordLine } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const counts: Record<RecordType, number> = { assertion: 0, vote: 0, epoch: 0 };
 * const parsed = parseRecordLine('{"type":"epoch","id":"0a","name":"e","description":"","startTime":0}');
 * if (parsed.ok) counts[parsed.record.type]++;
 * assert.deepEqual(counts, { assertion: 0, vote: 0, epoch: 1 });
 * ```
 */
export type RecordType = keyof typeof RECORD_TYPE;

/** Width of the type code. */
export const TYPE_SIZE = 1;
/** Width of the reserved bytes, always zero; kept for alignment with the original design. */
export const RESERVED_SIZE = 7;

/**
 * Header is type (1 byte), reserved zero padding (7 bytes).
 *
 * @example Split a payload into its header and CBOR body
 * ```ts
 * import { PAYLOAD_HEADER_SIZE, RECORD_TYPE, serializeVote } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const payload = serializeVote({ assertion: "ab".repeat(32), voter: "ann", value: 1, timestamp: 0 });
 * const header = payload.subarray(0, PAYLOAD_HEADER_SIZE);
 * const body = payload.subarray(PAYLOAD_HEADER_SIZE);
 * assert.equal(header[0], RECORD_TYPE.vote);
 * assert.ok(body.length > 0);
 * ```
 */
export const PAYLOAD_HEADER_SIZE: number = TYPE_SIZE + RESERVED_SIZE;

/** Byte position of the type code inside a payload. */
export const TYPE_OFFSET = 0;
/** Byte position of the reserved bytes inside a payload. */
export const RESERVED_OFFSET: number = TYPE_OFFSET + TYPE_SIZE;

/** Record type name for a type code, or `undefined` for an unknown code. */
export function recordTypeName(code: number): RecordType | undefined {
  switch (code) {
    case RECORD_TYPE.assertion:
      return "assertion";
    case RECORD_TYPE.vote:
      return "vote";
    case RECORD_TYPE.epoch:
      return "epoch";
    default:
      return undefined;
  }
}
