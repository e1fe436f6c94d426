/**
 * Mapping between records and their CBOR body maps: short string keys,
 * hashes and epoch ids as byte strings. docs/FORMAT.md section 2 tabulates
 * the same keys.
 *
 * @module
 */

import { MAJOR_TEXT } from "./_cbor.ts";
import { RecordDecodeError } from "./errors.ts";
import type { RecordType } from "./format.ts";
import { fromHex, toHex } from "./hex.ts";
import type { Assertion, Epoch, KnowledgeRecord, ObjectValue, Vote } from "./types.ts";

/** How a field is carried in CBOR. */
export type Kind = "text" | "number" | "bytes" | "object" | "tags";

/** One field: CBOR map key, record field name, CBOR kind. */
type FieldSpec = readonly [key: string, field: string, kind: Kind];

/** Body map keys per record type. */
export const BODY_FIELDS: Readonly<Record<RecordType, readonly FieldSpec[]>> = {
  assertion: [
    ["s", "subject", "text"],
    ["p", "predicate", "text"],
    ["o", "object", "object"],
    ["src", "source", "text"],
    ["c", "confidence", "number"],
    ["e", "epoch", "bytes"],
    ["t", "timestamp", "number"],
    ["tg", "tags", "tags"],
  ],
  vote: [
    ["a", "assertion", "bytes"],
    ["by", "voter", "text"],
    ["v", "value", "number"],
    ["e", "epoch", "bytes"],
    ["t", "timestamp", "number"],
    ["why", "reason", "text"],
  ],
  epoch: [
    ["id", "id", "bytes"],
    ["n", "name", "text"],
    ["d", "description", "text"],
    ["pa", "parent", "bytes"],
    ["t", "startTime", "number"],
    ["end", "endTime", "number"],
  ],
};

/** A body field with its map key's CBOR encoding, as the encoder and the strict decoder use it. */
export interface CanonicalField {
  /** CBOR map key. */
  readonly key: string;
  /** The key's encoding: initial byte (text, length < 24) and its ASCII bytes. */
  readonly keyBytes: Uint8Array;
  /** Record field name. */
  readonly field: string;
  /** How the value is carried. */
  readonly kind: Kind;
}

function canonicalFields(specs: readonly FieldSpec[]): readonly CanonicalField[] {
  const fields = specs.map(([key, field, kind]) => {
    // Every key is short ASCII, so its encoding is one initial byte and the characters.
    if (key.length >= 24 || !/^[a-z]+$/.test(key)) throw new Error(`Bad body key "${key}"`);
    const keyBytes = Uint8Array.from([
      MAJOR_TEXT | key.length,
      ...Array.from(key, (c) => c.charCodeAt(0)),
    ]);
    return { key, keyBytes, field, kind };
  });
  // RFC 8949 §4.2.1: keys sorted by the bytewise order of their encodings
  // (for text keys this puts shorter keys first).
  return fields.sort((a, b) => compareBytes(a.keyBytes, b.keyBytes));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Body fields per record type, in the deterministic order of their map keys. */
export const CANONICAL_FIELDS: Readonly<Record<RecordType, readonly CanonicalField[]>> = {
  assertion: canonicalFields(BODY_FIELDS.assertion),
  vote: canonicalFields(BODY_FIELDS.vote),
  epoch: canonicalFields(BODY_FIELDS.epoch),
};

function objectToCbor(value: ObjectValue): unknown {
  return typeof value === "object" ? fromHex(value.ref) : value;
}

/** Builds the CBOR body map of a validated record. */
export function toBody(record: KnowledgeRecord): Record<string, unknown> {
  const value = record.value as unknown as Record<string, unknown>;
  const body: Record<string, unknown> = {};
  for (const [key, field, kind] of BODY_FIELDS[record.type]) {
    const v = value[field];
    if (v === undefined) continue;
    if (kind === "bytes") body[key] = fromHex(v as string);
    else if (kind === "object") body[key] = objectToCbor(v as ObjectValue);
    else body[key] = v;
  }
  return body;
}

// Serialization stores −0 as 0, so a body holding −0 is not the canonical
// encoding of any record; rejecting it here lets decoding compare the body
// with its own re-encoding.
function notNegativeZero(type: RecordType, key: string, value: number): number {
  if (Object.is(value, -0)) {
    throw new RecordDecodeError(`${type} body key "${key}" holds -0, which is encoded as 0`);
  }
  return value;
}

function wrongKind(type: RecordType, key: string, expected: string): never {
  throw new RecordDecodeError(`${type} body key "${key}" must be ${expected}`);
}

/**
 * Turns a decoded body map back into an unvalidated record value, checking
 * CBOR kinds and rejecting unknown keys.
 *
 * @throws {RecordDecodeError} On unknown keys or values of the wrong CBOR kind.
 */
export function fromBody(type: RecordType, body: unknown): Assertion | Vote | Epoch {
  if (
    typeof body !== "object" || body === null || Array.isArray(body) ||
    body instanceof Uint8Array
  ) {
    throw new RecordDecodeError(`${type} body must be a CBOR map`);
  }
  const map = body as Record<string, unknown>;
  const specs = BODY_FIELDS[type];
  for (const key of Object.keys(map)) {
    if (!specs.some(([k]) => k === key)) {
      throw new RecordDecodeError(`${type} body has unknown key "${key.slice(0, 40)}"`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, field, kind] of specs) {
    if (!Object.hasOwn(map, key)) continue;
    const v = map[key];
    switch (kind) {
      case "bytes":
        if (!(v instanceof Uint8Array)) wrongKind(type, key, "a byte string");
        out[field] = toHex(v);
        break;
      case "text":
        if (typeof v !== "string") wrongKind(type, key, "a text string");
        out[field] = v;
        break;
      case "number":
        if (typeof v !== "number") wrongKind(type, key, "a number");
        out[field] = notNegativeZero(type, key, v);
        break;
      case "tags":
        if (!Array.isArray(v)) wrongKind(type, key, "an array of text strings");
        out[field] = v;
        break;
      case "object":
        if (v instanceof Uint8Array) {
          if (v.length !== 32) wrongKind(type, key, "a 32-byte hash when a byte string");
          out[field] = { ref: toHex(v) };
        } else if (typeof v === "number") {
          out[field] = notNegativeZero(type, key, v);
        } else if (typeof v === "string" || typeof v === "boolean") {
          out[field] = v;
        } else {
          wrongKind(type, key, "a text string, number, boolean or 32-byte hash");
        }
        break;
    }
  }
  return out as unknown as Assertion | Vote | Epoch;
}
