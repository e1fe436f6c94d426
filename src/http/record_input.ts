/**
 * Turns one line of JSON text into a validated, serialized knowledge record.
 * Shared by the HTTP write routes and the `append` command so both accept and
 * reject exactly the same input with the same reasons.
 *
 * @module
 */

import { type KnowledgeRecord, parseRecordJson, serializeRecord } from "../records/mod.ts";

/** The record types a line may hold. */
export type RecordKind = KnowledgeRecord["type"];

/** A line that parsed and validated, ready to append. */
export interface ParsedLine {
  /** Always `true`. */
  ok: true;
  /** The decoded record. */
  record: KnowledgeRecord;
  /** Its canonical payload bytes, as the journal will store them. */
  payload: Uint8Array;
}

/** A line that was rejected, and why. */
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

/** Options for {@linkcode parseRecordLine}. */
export interface ParseRecordLineOptions {
  /**
   * Record type the line must have. A line without `"type"` gets it; a line
   * with a different `"type"` is rejected.
   * @default undefined (the line must name its own type)
   */
  type?: RecordKind;
}

/** Parse, validate and serialize one JSON text as a knowledge record. */
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

/** Validate and serialize an already parsed JSON value as a knowledge record. */
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
    const record = parseRecordJson(input);
    return { ok: true, record, payload: serializeRecord(record) };
  } catch (error) {
    const field = (error as { field?: unknown }).field;
    return {
      ok: false,
      kind: "record",
      ...(typeof field === "string" ? { field } : {}),
      reason: messageOf(error),
    };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
