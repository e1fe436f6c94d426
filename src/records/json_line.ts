/**
 * One line of the JSON form (NDJSON, or one JSON body) turned into a
 * validated, serialized knowledge record, or into the reason it is rejected.
 * The HTTP write routes and the `append` command both read records through
 * it, so they accept and reject exactly the same input with the same reasons.
 *
 * @module
 */

import { encodeValidated } from "./codec.ts";
import { RecordValidationError } from "./errors.ts";
import { parseRecordJson } from "./json.ts";
import type { KnowledgeRecord } from "./types.ts";

/**
 * The record types a line may hold.
 *
 * @example Name the type a line must have
 * ```ts
 * import { parseRecordLine, type RecordKind } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const type: RecordKind = "epoch";
 * const line = '{"id":"0a","name":"e","description":"","startTime":0}';
 * assert.equal(parseRecordLine(line, { type }).ok, true);
 * ```
 */
export type RecordKind = KnowledgeRecord["type"];

/**
 * A line that parsed and validated, ready to append.
 *
 * @example Append the payload of a parsed line
 * ```ts
 * import { decodeRecord, parseRecordLine } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const line = '{"type":"epoch","id":"0a","name":"e","description":"","startTime":0}';
 * const parsed = parseRecordLine(line);
 * if (!parsed.ok) throw new Error(parsed.reason);
 * assert.deepEqual(decodeRecord(parsed.payload), parsed.record);
 * ```
 */
export interface ParsedLine {
  /** Always `true`. */
  ok: true;
  /** The decoded record. */
  record: KnowledgeRecord;
  /** Its canonical payload bytes, as the journal will store them. */
  payload: Uint8Array;
}

/**
 * A line that was rejected, and why.
 *
 * @example Report the offending field
 * ```ts
 * import { parseRecordLine } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const rejected = parseRecordLine('{"type":"vote","voter":"ann"}');
 * if (rejected.ok) throw new Error("expected a reject");
 * assert.equal(rejected.kind, "record");
 * assert.equal(typeof rejected.field, "string");
 * ```
 */
export interface RejectedLine {
  /** Always `false`. */
  ok: false;
  /** `"json"` when the text is not JSON, `"record"` when the record is invalid. */
  kind: "json" | "record";
  /** The offending field, when the validator named one. */
  field?: string;
  /** Human-readable reason. */
  reason: string;
}

/**
 * Options for {@linkcode parseRecordLine}.
 *
 * @example Give a line without `"type"` its type
 * ```ts
 * import { parseRecordLine, type ParseRecordLineOptions } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const options: ParseRecordLineOptions = { type: "vote" };
 * const line = '{"type":"epoch","id":"0a","name":"e","description":"","startTime":0}';
 * const result = parseRecordLine(line, options);
 * assert.equal(result.ok ? "accepted" : result.field, "type");
 * ```
 */
export interface ParseRecordLineOptions {
  /**
   * Record type the line must have. A line without `"type"` gets it; a line
   * with a different `"type"` is rejected.
   * @default undefined (the line must name its own type)
   */
  type?: RecordKind;
  /**
   * Return `payload` as a view of the encoder's reused buffer, valid only
   * until the next record is parsed or serialized in this thread, instead of
   * a new array: for a caller that copies the bytes at once (a new array per
   * payload costs about a fifth of parsing a small record).
   * @default false
   */
  borrow?: boolean;
}

/**
 * Parse, validate and serialize one JSON text as a knowledge record.
 *
 * @example Read NDJSON line by line
 * ```ts
 * import { parseRecordLine } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const ndjson = [
 *   '{"type":"epoch","id":"0a","name":"e","description":"","startTime":0}',
 *   "{not json",
 * ].join("\n");
 * const results = ndjson.split("\n").map((line) => parseRecordLine(line));
 * assert.deepEqual(results.map((r) => r.ok ? "ok" : r.kind), ["ok", "json"]);
 * ```
 */
export function parseRecordLine(
  text: string,
  options: ParseRecordLineOptions = {},
): ParsedLine | RejectedLine {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, kind: "json", reason: `Malformed JSON: ${messageOf(error)}` };
  }
  return parseRecordValue(json, options);
}

/**
 * Validate and serialize an already parsed JSON value as a knowledge record.
 *
 * @example Validate each element of a JSON array
 * ```ts
 * import { parseRecordValue } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const values = JSON.parse('[{"id":"0a","name":"e","description":"","startTime":0}, 7]');
 * const results = values.map((v: unknown) => parseRecordValue(v, { type: "epoch" }));
 * assert.deepEqual(results.map((r: { ok: boolean }) => r.ok), [true, false]);
 * ```
 */
export function parseRecordValue(
  json: unknown,
  options: ParseRecordLineOptions = {},
): ParsedLine | RejectedLine {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, kind: "record", reason: "Expected a JSON object" };
  }
  let input = json as Record<string, unknown>;
  if (options.type !== undefined) {
    if (input.type === undefined) input = { ...input, type: options.type };
    else if (input.type !== options.type) {
      return {
        ok: false,
        kind: "record",
        field: "type",
        reason: `Expected type "${options.type}", got ${JSON.stringify(input.type)}`,
      };
    }
  }
  try {
    // Validated once: parseRecordJson returns the validated, normalised record.
    const record = parseRecordJson(input);
    return { ok: true, record, payload: encodeValidated(record, options.borrow) };
  } catch (error) {
    return {
      ok: false,
      kind: "record",
      ...(error instanceof RecordValidationError ? { field: error.field } : {}),
      reason: messageOf(error),
    };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
