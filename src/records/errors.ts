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
 * How a payload failed to decode, for callers that classify poison records:
 * `"unknown-type"` when the type byte names no record type (a payload from a
 * newer writer, perhaps), `"undecodable"` for everything else (short header,
 * nonzero reserved bytes, malformed or non-canonical CBOR, unknown fields).
 *
 * @example Classify a rejected payload by kind
 * ```ts
 * import { decodeRecord, RecordDecodeError, type RecordDecodeErrorKind } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * let kind: RecordDecodeErrorKind | undefined;
 * try {
 *   decodeRecord(new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0, 0xa0]));
 * } catch (error) {
 *   if (error instanceof RecordDecodeError) kind = error.kind;
 * }
 * assert.equal(kind, "unknown-type");
 * ```
 */
export type RecordDecodeErrorKind = "unknown-type" | "undecodable";

/**
 * Options of the {@linkcode RecordDecodeError} constructor.
 *
 * @example Make an error of a kind
 * ```ts
 * import { RecordDecodeError, type RecordDecodeErrorOptions } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const options: RecordDecodeErrorOptions = { kind: "unknown-type" };
 * assert.equal(new RecordDecodeError("unknown record type 9", options).kind, "unknown-type");
 * ```
 */
export interface RecordDecodeErrorOptions extends ErrorOptions {
  /**
   * What kind of failure this is.
   * @default {"undecodable"}
   */
  kind?: RecordDecodeErrorKind;
}

/**
 * Payload bytes are not a well-formed record: short header, unknown type,
 * nonzero reserved bytes, malformed or non-canonical CBOR, unknown fields.
 * Read `kind` to classify it; `reason` is for people.
 *
 * @example Reject an unknown record type
 * ```ts
 * import { decodeRecord, RecordDecodeError } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => decodeRecord(new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0, 0xa0])),
 *   (e) => e instanceof RecordDecodeError && e.kind === "unknown-type",
 * );
 * ```
 */
export class RecordDecodeError extends Error {
  /** Why the bytes were rejected. */
  readonly reason: string;
  /** What kind of failure this is: `"unknown-type"` or `"undecodable"`. */
  readonly kind: RecordDecodeErrorKind;

  /** Creates an error with the given reason (kind `"undecodable"` unless `options.kind` says otherwise). */
  constructor(reason: string, options?: RecordDecodeErrorOptions) {
    super(
      `Cannot decode record: ${reason}`,
      options !== undefined && "cause" in options ? { cause: options.cause } : undefined,
    );
    this.name = "RecordDecodeError";
    this.reason = reason;
    this.kind = options?.kind ?? "undecodable";
  }
}
