/**
 * Errors raised while validating or decoding knowledge records.
 *
 * @module
 */

/**
 * A record, or one of its fields, breaks the schema.
 *
 * @example Catch the field a record got wrong
 * ```ts
 * import { RecordValidationError, serializeVote } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * try {
 *   serializeVote({ assertion: "a".repeat(64), voter: "ann", value: 2, timestamp: 0 });
 *   assert.fail("expected a RecordValidationError");
 * } catch (error) {
 *   assert.ok(error instanceof RecordValidationError);
 *   assert.equal(error.field, "value");
 * }
 * ```
 */
export class RecordValidationError extends Error {
  /** Record type being validated: `"assertion"`, `"vote"`, `"epoch"` or `"record"`. */
  readonly recordType: string;
  /** Name of the offending field, as in the JSON form (for example `"confidence"`). */
  readonly field: string;
  /** What is wrong, for example `must be a number in [0, 1], got 1.5`. */
  readonly reason: string;

  /** Creates an error for `field` of a `recordType` record. */
  constructor(recordType: string, field: string, reason: string) {
    super(`Invalid ${recordType}: field "${field}" ${reason}`);
    this.name = "RecordValidationError";
    this.recordType = recordType;
    this.field = field;
    this.reason = reason;
  }
}

/**
 * Payload bytes are not a well-formed record: short header, unknown type,
 * nonzero reserved bytes, malformed or non-canonical CBOR, unknown fields.
 *
 * @example Reject an unknown record type
 * ```ts
 * import { decodeRecord, RecordDecodeError } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => decodeRecord(new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0, 0xa0])),
 *   RecordDecodeError,
 * );
 * ```
 */
export class RecordDecodeError extends Error {
  /** Why the bytes were rejected. */
  readonly reason: string;

  /** Creates an error with the given reason. */
  constructor(reason: string, options?: ErrorOptions) {
    super(`Cannot decode record: ${reason}`, options);
    this.name = "RecordDecodeError";
    this.reason = reason;
  }
}
