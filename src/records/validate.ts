/**
 * Schema validation shared by serialization, decoding and JSON parsing: one
 * function per record type takes an untrusted object and returns a normalised
 * record (known fields only, absent optional fields left out, −0 as 0).
 *
 * @module
 */

import type { Assertion, Epoch, KnowledgeRecord, ObjectValue, Vote } from "./types.ts";
import {
  epochId,
  fail,
  hash,
  isPlainObject,
  isText,
  keyText,
  numberIn,
  rejectUnknown,
  show,
  text,
  time,
} from "./_fields.ts";
import { MAX_SUBJECT_BYTES, MAX_TAGS, MAX_VOTER_BYTES } from "./limits.ts";

const ASSERTION_FIELDS = [
  "subject",
  "predicate",
  "object",
  "source",
  "confidence",
  "epoch",
  "timestamp",
  "tags",
];
const VOTE_FIELDS = ["assertion", "voter", "value", "epoch", "timestamp", "reason"];
const EPOCH_FIELDS = ["id", "name", "description", "parent", "startTime", "endTime"];
/**
 * The same with `"type"`, for the JSON form, whose fields sit beside the
 * type: validated in place, since copying them out without it (`{ type,
 * ...fields }`) costs about a twentieth of parsing the line.
 */
const JSON_FIELDS = {
  assertion: [...ASSERTION_FIELDS, "type"],
  vote: [...VOTE_FIELDS, "type"],
  epoch: [...EPOCH_FIELDS, "type"],
};

function record(type: string, input: unknown, allowed: string[]): Record<string, unknown> {
  if (!isPlainObject(input)) fail(type, "(record)", `must be an object, got ${show(input)}`);
  rejectUnknown(type, input, allowed);
  return input;
}

function objectValue(value: unknown): ObjectValue {
  const type = "assertion";
  if (typeof value === "string") return text(type, "object", value, true);
  if (typeof value === "boolean") return value;
  if (typeof value === "number") {
    return numberIn(type, "object", value, -Number.MAX_VALUE, Number.MAX_VALUE);
  }
  if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      if (key !== "ref") fail(type, `object.${key}`, "is not a known field");
    }
    return { ref: hash(type, "object.ref", value.ref) };
  }
  return fail(
    type,
    "object",
    `must be a string, a finite number, a boolean or { ref: hash }, got ${show(value)}`,
  );
}

function tags(value: unknown): string[] {
  const type = "assertion";
  if (!Array.isArray(value)) fail(type, "tags", `must be an array of strings, got ${show(value)}`);
  if (value.length > MAX_TAGS) {
    fail(type, "tags", `must hold at most ${MAX_TAGS} tags, got ${value.length}`);
  }
  const out: string[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const tag: unknown = value[i];
    // The field is named only on failure: building "tags[i]" for every tag cost more than checking it.
    const checked = isText(tag) ? tag : text(type, `tags[${i}]`, tag);
    // At most MAX_TAGS tags: a scan of the earlier ones is quicker than a Set.
    for (let j = 0; j < i; j++) {
      if (out[j] === checked) fail(type, `tags[${i}]`, `must not repeat a tag, got ${show(tag)}`);
    }
    out[i] = checked;
  }
  return out;
}

/**
 * Validates an assertion and returns its normalised form.
 *
 * @throws {RecordValidationError} Naming the first offending field.
 */
export function validateAssertion(input: unknown, allowed = ASSERTION_FIELDS): Assertion {
  const type = "assertion";
  const a = record(type, input, allowed);
  const out: Assertion = {
    subject: keyText(type, "subject", a.subject, MAX_SUBJECT_BYTES),
    predicate: text(type, "predicate", a.predicate),
    object: objectValue(a.object),
    source: text(type, "source", a.source),
    confidence: numberIn(type, "confidence", a.confidence, 0, 1),
    timestamp: time(type, "timestamp", a.timestamp),
  };
  if (a.epoch !== undefined) out.epoch = epochId(type, "epoch", a.epoch);
  if (a.tags !== undefined) out.tags = tags(a.tags);
  return out;
}

/**
 * Validates a vote and returns its normalised form.
 *
 * @throws {RecordValidationError} Naming the first offending field.
 */
export function validateVote(input: unknown, allowed = VOTE_FIELDS): Vote {
  const type = "vote";
  const v = record(type, input, allowed);
  const out: Vote = {
    assertion: hash(type, "assertion", v.assertion),
    voter: keyText(type, "voter", v.voter, MAX_VOTER_BYTES),
    value: numberIn(type, "value", v.value, -1, 1),
    timestamp: time(type, "timestamp", v.timestamp),
  };
  if (v.epoch !== undefined) out.epoch = epochId(type, "epoch", v.epoch);
  if (v.reason !== undefined) out.reason = text(type, "reason", v.reason);
  return out;
}

/**
 * Validates an epoch and returns its normalised form.
 *
 * @throws {RecordValidationError} Naming the first offending field.
 */
export function validateEpoch(input: unknown, allowed = EPOCH_FIELDS): Epoch {
  const type = "epoch";
  const e = record(type, input, allowed);
  const out: Epoch = {
    id: epochId(type, "id", e.id),
    name: text(type, "name", e.name),
    description: text(type, "description", e.description, true),
    startTime: time(type, "startTime", e.startTime),
  };
  if (e.parent !== undefined) {
    out.parent = epochId(type, "parent", e.parent);
    if (out.parent === out.id) fail(type, "parent", `must differ from the epoch's own id`);
  }
  if (e.endTime !== undefined) {
    out.endTime = time(type, "endTime", e.endTime);
    if (out.endTime < out.startTime) {
      fail(type, "endTime", `must be >= startTime (${out.startTime}), got ${out.endTime}`);
    }
  }
  return out;
}

/**
 * Validates a tagged record and returns its normalised form.
 *
 * @throws {RecordValidationError} Naming the first offending field.
 */
export function validateRecord(input: KnowledgeRecord): KnowledgeRecord {
  if (!isPlainObject(input)) fail("record", "(record)", `must be an object, got ${show(input)}`);
  return validateTyped((input as { type: unknown }).type, input.value, false);
}

/**
 * Validates a record in its JSON form (its fields beside `type` in one
 * object) and returns its normalised form.
 *
 * @throws {RecordValidationError} Naming the first offending field.
 */
export function validateJsonRecord(input: Record<string, unknown>): KnowledgeRecord {
  return validateTyped(input.type, input, true);
}

function validateTyped(type: unknown, value: unknown, json: boolean): KnowledgeRecord {
  switch (type) {
    case "assertion":
      return {
        type: "assertion",
        value: validateAssertion(value, json ? JSON_FIELDS.assertion : ASSERTION_FIELDS),
      };
    case "vote":
      return { type: "vote", value: validateVote(value, json ? JSON_FIELDS.vote : VOTE_FIELDS) };
    case "epoch":
      return {
        type: "epoch",
        value: validateEpoch(value, json ? JSON_FIELDS.epoch : EPOCH_FIELDS),
      };
    default:
      return fail("record", "type", `must be "assertion", "vote" or "epoch", got ${show(type)}`);
  }
}
