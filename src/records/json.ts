/**
 * The JSON form of records used by the CLI and HTTP API: the record's fields
 * flattened next to a `"type"` field, for example
 * `{"type":"vote","assertion":"…","voter":"ann","value":1,"timestamp":0}`.
 *
 * @module
 */

import { isPlainObject, show } from "./_fields.ts";
import { RecordValidationError } from "./errors.ts";
import type { KnowledgeRecord } from "./types.ts";
import { validateJsonRecord } from "./validate.ts";

/**
 * Parses and validates a record from its JSON form.
 *
 * @throws {RecordValidationError} Naming the first offending field.
 *
 * @example Parse a vote from JSON
 * ```ts
 * import { parseRecordJson } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const json = JSON.parse(
 *   `{"type":"vote","assertion":"${"ab".repeat(32)}","voter":"ann","value":1,"timestamp":5}`,
 * );
 * assert.deepEqual(parseRecordJson(json).type, "vote");
 * ```
 */
export function parseRecordJson(obj: unknown): KnowledgeRecord {
  if (!isPlainObject(obj)) {
    throw new RecordValidationError("record", "(record)", `must be an object, got ${show(obj)}`);
  }
  return validateJsonRecord(obj);
}

/**
 * The JSON form of a record: `{ type, ...fields }`, absent optional fields left out.
 *
 * @example Round-trip through JSON
 * ```ts
 * import { parseRecordJson, recordToJson } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const record = {
 *   type: "epoch" as const,
 *   value: { id: "0a", name: "e", description: "", startTime: 0 },
 * };
 * const json = recordToJson(record);
 * assert.deepEqual(json.type, "epoch");
 * assert.deepEqual(parseRecordJson(JSON.parse(JSON.stringify(json))), record);
 * ```
 */
export function recordToJson(record: KnowledgeRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { type: record.type };
  for (const [key, value] of Object.entries(record.value)) {
    if (value === undefined) continue;
    // Copy tags and references so the caller can change the JSON freely.
    out[key] = Array.isArray(value) ? [...value] : typeof value === "object" ? { ...value } : value;
  }
  return out;
}
