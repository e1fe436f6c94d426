// The strict body reader: parses a payload's CBOR map in one pass and checks
// deterministic form (RFC 8949 §4.2.1) while it reads, so decoding never
// re-encodes. It reads exactly the items record bodies hold: a definite map
// of known short text keys whose values are text, byte strings, numbers,
// booleans or one array of text.
//
// It keeps the contract of the reference decoder (cborg's strict `decode`,
// then `fromBody`, validation, and a byte-for-byte comparison with the
// re-encoding), which tests/records/decoder_test.ts checks on mutated
// payloads: what cborg refuses is malformed; a wrong kind, an unknown key and
// −0 are refused next; both throw RecordDecodeError at once. What cborg
// accepts but the re-encoding would change (keys out of order, a float wider
// than needed or holding an integer, text that is not valid UTF-8) is noted
// and reported only after validation, because the reference validates before
// it compares bytes: a payload that is both invalid and non-canonical gets the
// same RecordValidationError from both.
//
// One deliberate difference: text that starts with U+FEFF is kept. cborg's
// TextDecoder drops a leading byte-order mark, so the reference refuses such
// a record as non-canonical although serialization writes it.

import { Buffer } from "node:buffer";
import {
  BREAK,
  FALSE,
  FLOAT16,
  FLOAT32,
  FLOAT64,
  floatWidth,
  INFO_INDEFINITE,
  INFO_UINT16,
  INFO_UINT32,
  INFO_UINT64,
  INFO_UINT8,
  MAJOR_ARRAY,
  MAJOR_BYTES,
  MAJOR_MAP,
  MAJOR_NEGINT,
  MAJOR_TAG,
  MAJOR_TEXT,
  MAJOR_UINT,
  TRUE,
  TWO_32,
  UNDEFINED,
} from "./_cbor.ts";
import { CANONICAL_FIELDS, type CanonicalField } from "./cbor_body.ts";
import { RecordDecodeError } from "./errors.ts";
import { PAYLOAD_HEADER_SIZE, type RecordType } from "./format.ts";
import { toHex } from "./hex.ts";
import { HASH_HEX_LENGTH } from "./limits.ts";

/** Length of a content hash in bytes (BLAKE3-256). */
const HASH_BYTES = HASH_HEX_LENGTH / 2;

/** What `readBody` found. */
export type BodyRead =
  | {
    /** The body reads as a record value (not yet validated). */
    readonly kind: "record";
    /** Field name → value, as `fromBody` would build it (absent fields undefined). */
    readonly value: Record<string, unknown>;
    /** Why the body is not the canonical encoding of `value`, if it is not. */
    readonly nonCanonical: string | undefined;
  }
  | {
    /**
     * A tag that is not a text string: outside what this reader parses, but
     * possibly well-formed CBOR, so only the reference decoder can tell a
     * malformed body from a schema violation.
     */
    readonly kind: "off-schema";
  };

/** Text longer than this is decoded natively; shorter ASCII text by a loop (no call overhead). */
const ASCII_LOOP_MAX = 16;

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// cborg decodes text with a default TextDecoder: invalid sequences become U+FFFD.
const lenientUtf8 = new TextDecoder();

/** Eight bytes to read a float's big-endian bits from. */
const scratch = new DataView(new ArrayBuffer(8));

/** The value of IEEE 754 half-precision bits. */
function half(bits: number): number {
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/**
 * One pass over one payload. A reader is made per payload: reading calls no
 * user code, and a fresh object keeps every field monomorphic.
 */
class BodyReader {
  readonly #d: Uint8Array;
  /** A `Buffer` view of the payload, for its native UTF-8 decoding. */
  #text: Buffer | undefined;
  #p = PAYLOAD_HEADER_SIZE;
  readonly #type: RecordType;
  readonly #fields: readonly CanonicalField[];
  /** Values by index in `#fields`. */
  readonly values: unknown[] = [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ];
  /** The first reason the body is not canonical; reported only after validation. */
  nonCanonical: string | undefined;

  constructor(type: RecordType, payload: Uint8Array) {
    this.#d = payload;
    this.#type = type;
    this.#fields = CANONICAL_FIELDS[type];
  }

  #malformed(what: string, at: number): never {
    throw new RecordDecodeError(`malformed CBOR body: ${what} at payload byte ${at}`);
  }

  #wrongKind(key: string, expected: string): never {
    throw new RecordDecodeError(`${this.#type} body key "${key}" must be ${expected}`);
  }

  #need(n: number, at: number): void {
    if (this.#p + n > this.#d.length) {
      this.#malformed(`item needs ${n} more bytes than the payload holds`, at);
    }
  }

  #noteNonCanonical(reason: string): void {
    this.nonCanonical ??= reason;
  }

  /**
   * The argument of the item whose initial byte is at `at` (`#p` is just past
   * it): shortest form only, definite lengths only, safe integers only — what
   * cborg's strict mode refuses.
   */
  #argument(info: number, at: number, what: string): number {
    if (info < INFO_UINT8) return info;
    const d = this.#d;
    const p = this.#p;
    switch (info) {
      case INFO_UINT8: {
        this.#need(1, at);
        const v = d[p];
        this.#p = p + 1;
        if (v >= INFO_UINT8) return v;
        break;
      }
      case INFO_UINT16: {
        this.#need(2, at);
        const v = (d[p] << 8) | d[p + 1];
        this.#p = p + 2;
        if (v >= 0x100) return v;
        break;
      }
      case INFO_UINT32: {
        this.#need(4, at);
        const v = d[p] * 0x1000000 + ((d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3]);
        this.#p = p + 4;
        if (v >= 0x10000) return v;
        break;
      }
      case INFO_UINT64: {
        this.#need(8, at);
        const hi = d[p] * 0x1000000 + ((d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3]);
        const lo = d[p + 4] * 0x1000000 + ((d[p + 5] << 16) | (d[p + 6] << 8) | d[p + 7]);
        this.#p = p + 8;
        if (hi === 0) break;
        // Above 2^53 − 1 a number loses precision; cborg refuses it without BigInt.
        if (hi > 0x1fffff) this.#malformed("integer outside the safe integer range", at);
        return hi * TWO_32 + lo;
      }
      case INFO_INDEFINITE:
        return this.#malformed(`indefinite-length ${what}`, at);
      default:
        return this.#malformed(`reserved additional information ${info}`, at);
    }
    return this.#malformed("integer encoded in more bytes than necessary", at);
  }

  #utf8(start: number, end: number): string {
    // Buffer decodes natively without TextDecoder's per-call cost, and keeps a leading U+FEFF.
    this.#text ??= Buffer.from(this.#d.buffer, this.#d.byteOffset, this.#d.length);
    const s = this.#text.toString("utf8", start, end);
    // Invalid UTF-8 shows as U+FFFD (which valid text may also hold): check then.
    if (s.includes("\uFFFD")) {
      const bytes = this.#d.subarray(start, end);
      try {
        fatalUtf8.decode(bytes);
      } catch {
        this.#noteNonCanonical(`text at payload byte ${start} is not valid UTF-8`);
        return lenientUtf8.decode(bytes);
      }
    }
    return s;
  }

  /** A text string; `#p` is at its initial byte, which is of major type 3. */
  #string(): string {
    const at = this.#p++;
    const n = this.#argument(this.#d[at] & 0x1f, at, "text string");
    this.#need(n, at);
    const start = this.#p;
    const end = start + n;
    this.#p = end;
    if (n > ASCII_LOOP_MAX) return this.#utf8(start, end);
    const d = this.#d;
    let s = "";
    for (let i = start; i < end; i++) {
      const c = d[i];
      if (c > 0x7f) return this.#utf8(start, end);
      s += String.fromCharCode(c);
    }
    return s;
  }

  /** A byte string as lowercase hex; `#p` is at its initial byte, of major type 2. */
  #bytes(expected?: number, key = ""): string {
    const at = this.#p++;
    const n = this.#argument(this.#d[at] & 0x1f, at, "byte string");
    if (expected !== undefined && n !== expected) {
      this.#wrongKind(key, `a ${expected}-byte hash when a byte string`);
    }
    this.#need(n, at);
    const start = this.#p;
    this.#p = start + n;
    return toHex(this.#d.subarray(start, start + n));
  }

  #float(width: 2 | 4 | 8, at: number, key: string): number {
    this.#need(width, at);
    const d = this.#d;
    const p = this.#p;
    for (let i = 0; i < width; i++) scratch.setUint8(i, d[p + i]);
    this.#p = p + width;
    const v = width === 2
      ? half(scratch.getUint16(0))
      : width === 4
      ? scratch.getFloat32(0)
      : scratch.getFloat64(0);
    if (Number.isNaN(v)) this.#malformed("NaN", at);
    if (v === Infinity || v === -Infinity) this.#malformed("infinity", at);
    if (Object.is(v, -0)) {
      throw new RecordDecodeError(
        `${this.#type} body key "${key}" holds -0, which is encoded as 0`,
      );
    }
    if (Number.isSafeInteger(v)) {
      this.#noteNonCanonical(`float at payload byte ${at} holds an integer`);
    } else if (floatWidth(v) !== width) {
      this.#noteNonCanonical(`float at payload byte ${at} is wider than its value needs`);
    }
    return v;
  }

  /** A number, or undefined when the item at `#p` is not one (`#p` unchanged). */
  #number(key: string): number | undefined {
    const at = this.#p;
    const ib = this.#d[at];
    const major = ib & 0xe0;
    if (major === MAJOR_UINT) {
      this.#p++;
      return this.#argument(ib & 0x1f, at, "integer");
    }
    if (major === MAJOR_NEGINT) {
      this.#p++;
      const v = -1 - this.#argument(ib & 0x1f, at, "integer");
      if (v < Number.MIN_SAFE_INTEGER) {
        this.#malformed("integer outside the safe integer range", at);
      }
      return v;
    }
    if (ib === FLOAT16 || ib === FLOAT32 || ib === FLOAT64) {
      this.#p++;
      return this.#float(ib === FLOAT16 ? 2 : ib === FLOAT32 ? 4 : 8, at, key);
    }
    return undefined;
  }

  /** Refuses, as malformed, the items cborg's strict mode refuses wherever they stand. */
  #refuseUnsupported(ib: number): void {
    if ((ib & 0xe0) === MAJOR_TAG) this.#malformed("CBOR tag", this.#p);
    if (ib === UNDEFINED) this.#malformed("undefined", this.#p);
    if (ib === BREAK) this.#malformed("break outside an indefinite-length item", this.#p);
  }

  /** The value of field `f`, or undefined when it is off schema (see BodyRead). */
  #value(f: CanonicalField): unknown {
    const ib = this.#d[this.#p];
    const major = ib & 0xe0;
    this.#refuseUnsupported(ib);
    switch (f.kind) {
      case "text":
        if (major !== MAJOR_TEXT) this.#wrongKind(f.key, "a text string");
        return this.#string();
      case "bytes":
        if (major !== MAJOR_BYTES) this.#wrongKind(f.key, "a byte string");
        return this.#bytes();
      case "number":
        return this.#number(f.key) ?? this.#wrongKind(f.key, "a number");
      case "object": {
        if (major === MAJOR_TEXT) return this.#string();
        if (ib === TRUE || ib === FALSE) {
          this.#p++;
          return ib === TRUE;
        }
        if (major === MAJOR_BYTES) return { ref: this.#bytes(HASH_BYTES, f.key) };
        return this.#number(f.key) ??
          this.#wrongKind(f.key, "a text string, number, boolean or 32-byte hash");
      }
      case "tags": {
        if (major !== MAJOR_ARRAY) this.#wrongKind(f.key, "an array of text strings");
        const at = this.#p++;
        const n = this.#argument(ib & 0x1f, at, "array");
        // Each element takes at least one byte: a count past the payload is malformed, not an allocation.
        this.#need(n, at);
        const list: string[] = [];
        for (let i = 0; i < n; i++) {
          if ((this.#d[this.#p] & 0xe0) !== MAJOR_TEXT) return undefined;
          list.push(this.#string());
        }
        return list;
      }
    }
  }

  /** Index in `#fields` of the key at `#p` (a text string), consuming it. */
  #key(): number {
    const d = this.#d;
    const at = this.#p;
    if ((d[at] & 0xe0) !== MAJOR_TEXT) this.#malformed("map key that is not a text string", at);
    this.#p++;
    const n = this.#argument(d[at] & 0x1f, at, "text string");
    this.#need(n, at);
    const start = this.#p;
    this.#p = start + n;
    const fields = this.#fields;
    search: for (let j = 0; j < fields.length; j++) {
      const k = fields[j].keyBytes;
      if (k.length !== n + 1) continue;
      for (let i = 0; i < n; i++) if (d[start + i] !== k[i + 1]) continue search;
      return j;
    }
    const name = this.#utf8(start, start + n);
    throw new RecordDecodeError(`${this.#type} body has unknown key "${name.slice(0, 40)}"`);
  }

  /** Reads the whole body into `values`; false when it is off schema. */
  read(): boolean {
    const d = this.#d;
    const at = this.#p;
    const ib = d[at];
    this.#refuseUnsupported(ib);
    if ((ib & 0xe0) !== MAJOR_MAP) {
      throw new RecordDecodeError(`${this.#type} body must be a CBOR map`);
    }
    this.#p++;
    const count = this.#argument(ib & 0x1f, at, "map");
    let seen = 0;
    let last = -1;
    for (let i = 0; i < count; i++) {
      if (this.#p >= d.length) this.#malformed(`map of ${count} entries ends after ${i}`, at);
      const keyAt = this.#p;
      const j = this.#key();
      const f = this.#fields[j];
      if (seen & (1 << j)) this.#malformed(`duplicate map key "${f.key}"`, keyAt);
      seen |= 1 << j;
      if (j < last) {
        this.#noteNonCanonical(`map key "${f.key}" at payload byte ${keyAt} is out of order`);
      }
      last = j;
      if (this.#p >= d.length) this.#malformed(`map key "${f.key}" has no value`, keyAt);
      const v = this.#value(f);
      if (v === undefined) return false;
      this.values[j] = v;
    }
    if (this.#p !== d.length) {
      this.#malformed(`${d.length - this.#p} trailing bytes after the body`, this.#p);
    }
    return true;
  }
}

/** Index in the canonical field order of each field of `type`, by field name. */
function indexes(type: RecordType): Record<string, number> {
  const out: Record<string, number> = {};
  CANONICAL_FIELDS[type].forEach((f, i) => (out[f.field] = i));
  return out;
}
const IA = indexes("assertion");
const IV = indexes("vote");
const IE = indexes("epoch");

// The record values, built with every field in schema order (absent optional
// fields as undefined, which validation reads as absent) so that every value
// of a type has one shape.
function assertionValue(v: unknown[]): Record<string, unknown> {
  return {
    subject: v[IA.subject],
    predicate: v[IA.predicate],
    object: v[IA.object],
    source: v[IA.source],
    confidence: v[IA.confidence],
    epoch: v[IA.epoch],
    timestamp: v[IA.timestamp],
    tags: v[IA.tags],
  };
}

function voteValue(v: unknown[]): Record<string, unknown> {
  return {
    assertion: v[IV.assertion],
    voter: v[IV.voter],
    value: v[IV.value],
    epoch: v[IV.epoch],
    timestamp: v[IV.timestamp],
    reason: v[IV.reason],
  };
}

function epochValue(v: unknown[]): Record<string, unknown> {
  return {
    id: v[IE.id],
    name: v[IE.name],
    description: v[IE.description],
    parent: v[IE.parent],
    startTime: v[IE.startTime],
    endTime: v[IE.endTime],
  };
}

/**
 * Reads the body of `payload` (after its header) as a `type` record value.
 *
 * @throws {RecordDecodeError} On malformed CBOR, a body that is not a map,
 *   unknown or duplicate keys, values of the wrong kind, −0.
 */
export function readBody(type: RecordType, payload: Uint8Array): BodyRead {
  const reader = new BodyReader(type, payload);
  if (!reader.read()) return { kind: "off-schema" };
  const v = reader.values;
  const value = type === "assertion"
    ? assertionValue(v)
    : type === "vote"
    ? voteValue(v)
    : epochValue(v);
  return { kind: "record", value, nonCanonical: reader.nonCanonical };
}
