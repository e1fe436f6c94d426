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
 * @example Look up the type code of a vote
 * ```ts
 * import { RECORD_TYPE } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(RECORD_TYPE.vote, 1);
 * ```
 */
export const RECORD_TYPE = { assertion: 0, vote: 1, epoch: 2 } as const;

/**
 * Name of a record type: `"assertion"`, `"vote"` or `"epoch"`.
 *
 * @example Name a record type
 * ```ts
 * import { type RecordType } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const kind: RecordType = "vote";
 * assert.equal(kind, "vote");
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
 * @example The CBOR body starts after the header
 * ```ts
 * import { PAYLOAD_HEADER_SIZE } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(PAYLOAD_HEADER_SIZE, 8);
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
