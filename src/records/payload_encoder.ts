// The payload encoder: writes a validated record straight into its canonical
// bytes, `[type][7 zero bytes][RFC 8949 §4.2.1 deterministic CBOR map]`.
//
// Why not cborg's `encode(body, rfc8949EncodeOptions)`, which gives the same
// bytes (tests/records/encoder_test.ts checks that for any valid record)?
// Measured on the bench corpus it costs 3–7× `JSON.stringify` on its own
// (building the body map, tokens, and sorting keys by their encodings), so
// the issue-15 target of 2× with validation included is out of reach through
// it. The record schemas are fixed, so the key order is known in advance
// (`CANONICAL_FIELDS`) and each value kind has one encoding: this file writes
// those few CBOR items (heads, text, byte strings, numbers, booleans, one
// array) into one reused buffer and copies the result out.

import {
  FALSE,
  FLOAT16,
  FLOAT32,
  FLOAT64,
  floatWidth,
  halfBits,
  headSize,
  INFO_UINT16,
  INFO_UINT32,
  INFO_UINT64,
  INFO_UINT8,
  MAJOR_ARRAY,
  MAJOR_BYTES,
  MAJOR_MAP,
  MAJOR_NEGINT,
  MAJOR_TEXT,
  MAJOR_UINT,
  TRUE,
  TWO_32,
} from "./_cbor.ts";
import { CANONICAL_FIELDS } from "./cbor_body.ts";
import { PAYLOAD_HEADER_SIZE, RECORD_TYPE, type RecordType, TYPE_OFFSET } from "./format.ts";
import { MAX_PAYLOAD_BYTES } from "./limits.ts";
import { TEXT_LOOP_MAX, utf8Into } from "./_utf8.ts";
import type { Assertion, Epoch, KnowledgeRecord, ObjectValue, Vote } from "./types.ts";

const utf8 = new TextEncoder();
// Called through `call`: a method load on strings of many internal representations
// (flat, sliced, concatenated) goes megamorphic and costs more than the character.
const charCodeAt = String.prototype.charCodeAt;

/** Buffer size that holds any payload that may be stored, plus the head of one more item. */
const DEFAULT_CAPACITY = MAX_PAYLOAD_BYTES + 1024;

/** The encoding of map key `key` of a `type` body. */
function key(type: RecordType, key: string): Uint8Array {
  const field = CANONICAL_FIELDS[type].find((f) => f.key === key);
  if (field === undefined) throw new Error(`No body key "${key}" in a ${type}`);
  return field.keyBytes;
}
// Object literals (not Object.fromEntries, which builds a slow dictionary-mode object).
const A = {
  c: key("assertion", "c"),
  e: key("assertion", "e"),
  o: key("assertion", "o"),
  p: key("assertion", "p"),
  s: key("assertion", "s"),
  t: key("assertion", "t"),
  tg: key("assertion", "tg"),
  src: key("assertion", "src"),
};
const V = {
  a: key("vote", "a"),
  e: key("vote", "e"),
  t: key("vote", "t"),
  v: key("vote", "v"),
  by: key("vote", "by"),
  why: key("vote", "why"),
};
const E = {
  d: key("epoch", "d"),
  n: key("epoch", "n"),
  t: key("epoch", "t"),
  id: key("epoch", "id"),
  pa: key("epoch", "pa"),
  end: key("epoch", "end"),
};

/**
 * Writes payloads into one reused buffer. The three record writers list
 * their fields in the order of `CANONICAL_FIELDS` (bytewise order of the
 * encoded keys); the tests compare every output with cborg's.
 */
class PayloadWriter {
  #buf = new Uint8Array(DEFAULT_CAPACITY);
  #view = new DataView(this.#buf.buffer);
  #pos = 0;

  /**
   * The payload of a validated record: a new array of its exact size, or with
   * `borrow` a view of the reused buffer, valid until the next `encode`.
   */
  encode(record: KnowledgeRecord, borrow: boolean): Uint8Array {
    this.#buf[TYPE_OFFSET] = RECORD_TYPE[record.type];
    this.#buf.fill(0, TYPE_OFFSET + 1, PAYLOAD_HEADER_SIZE);
    this.#pos = PAYLOAD_HEADER_SIZE;
    if (record.type === "assertion") this.#assertion(record.value);
    else if (record.type === "vote") this.#vote(record.value);
    else this.#epoch(record.value);
    // A record over the limit may have grown the buffer; do not keep the memory.
    const grown = this.#buf.length > DEFAULT_CAPACITY;
    // The view by its constructor: subarray's species lookup costs about twice as much.
    const payload = borrow && !grown
      ? new Uint8Array(this.#buf.buffer, this.#buf.byteOffset, this.#pos)
      : this.#buf.slice(0, this.#pos);
    if (grown) this.#reset(new Uint8Array(DEFAULT_CAPACITY));
    return payload;
  }

  #assertion(a: Assertion): void {
    this.#head(MAJOR_MAP, 6 + (a.epoch === undefined ? 0 : 1) + (a.tags === undefined ? 0 : 1));
    this.#key(A.c);
    this.#number(a.confidence);
    if (a.epoch !== undefined) {
      this.#key(A.e);
      this.#hexBytes(a.epoch);
    }
    this.#key(A.o);
    this.#object(a.object);
    this.#key(A.p);
    this.#text(a.predicate);
    this.#key(A.s);
    this.#text(a.subject);
    this.#key(A.t);
    this.#number(a.timestamp);
    if (a.tags !== undefined) {
      this.#key(A.tg);
      this.#head(MAJOR_ARRAY, a.tags.length);
      for (const tag of a.tags) this.#text(tag);
    }
    this.#key(A.src);
    this.#text(a.source);
  }

  #vote(v: Vote): void {
    this.#head(MAJOR_MAP, 4 + (v.epoch === undefined ? 0 : 1) + (v.reason === undefined ? 0 : 1));
    this.#key(V.a);
    this.#hexBytes(v.assertion);
    if (v.epoch !== undefined) {
      this.#key(V.e);
      this.#hexBytes(v.epoch);
    }
    this.#key(V.t);
    this.#number(v.timestamp);
    this.#key(V.v);
    this.#number(v.value);
    this.#key(V.by);
    this.#text(v.voter);
    if (v.reason !== undefined) {
      this.#key(V.why);
      this.#text(v.reason);
    }
  }

  #epoch(e: Epoch): void {
    this.#head(MAJOR_MAP, 4 + (e.parent === undefined ? 0 : 1) + (e.endTime === undefined ? 0 : 1));
    this.#key(E.d);
    this.#text(e.description);
    this.#key(E.n);
    this.#text(e.name);
    this.#key(E.t);
    this.#number(e.startTime);
    this.#key(E.id);
    this.#hexBytes(e.id);
    if (e.parent !== undefined) {
      this.#key(E.pa);
      this.#hexBytes(e.parent);
    }
    if (e.endTime !== undefined) {
      this.#key(E.end);
      this.#number(e.endTime);
    }
  }

  #reset(buf: Uint8Array<ArrayBuffer>): void {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer);
  }

  /** Makes room for `n` more bytes; only a record over the payload limit grows the buffer. */
  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(2 * this.#buf.length, this.#pos + n));
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#reset(grown);
  }

  /** Initial byte and argument `n` (a safe integer ≥ 0) in shortest form. */
  #head(major: number, n: number): void {
    this.#ensure(9);
    const buf = this.#buf;
    let pos = this.#pos;
    if (n < INFO_UINT8) {
      buf[pos++] = major | n;
    } else if (n < 0x100) {
      buf[pos++] = major | INFO_UINT8;
      buf[pos++] = n;
    } else if (n < 0x10000) {
      buf[pos++] = major | INFO_UINT16;
      buf[pos++] = n >>> 8;
      buf[pos++] = n & 0xff;
    } else if (n < TWO_32) {
      buf[pos++] = major | INFO_UINT32;
      this.#view.setUint32(pos, n);
      pos += 4;
    } else {
      buf[pos++] = major | INFO_UINT64;
      this.#view.setUint32(pos, Math.floor(n / TWO_32));
      this.#view.setUint32(pos + 4, n % TWO_32);
      pos += 8;
    }
    this.#pos = pos;
  }

  #key(key: Uint8Array): void {
    this.#ensure(key.length);
    const buf = this.#buf;
    const pos = this.#pos;
    for (let i = 0; i < key.length; i++) buf[pos + i] = key[i];
    this.#pos = pos + key.length;
  }

  #text(s: string): void {
    const n = s.length;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.#ensure(9 + 3 * n);
    const buf = this.#buf;
    if (n <= TEXT_LOOP_MAX) {
      const start = this.#pos + headSize(n);
      let i = 0;
      for (; i < n; i++) {
        const c = charCodeAt.call(s, i);
        if (c > 0x7f) break;
        buf[start + i] = c;
      }
      if (i === n) {
        this.#head(MAJOR_TEXT, n);
        this.#pos += n;
        return;
      }
    }
    // Not ASCII (or long): encode after a head sized for the longest possible
    // UTF-8, then move the bytes back if the real length needs a shorter head.
    const pos = this.#pos;
    const reserved = headSize(3 * n);
    const written = n <= TEXT_LOOP_MAX
      ? utf8Into(s, buf, pos + reserved) - (pos + reserved)
      : utf8.encodeInto(s, buf.subarray(pos + reserved)).written;
    const size = headSize(written);
    if (size !== reserved) buf.copyWithin(pos + size, pos + reserved, pos + reserved + written);
    this.#head(MAJOR_TEXT, written);
    this.#pos += written;
  }

  /** A byte string from lowercase hex (checked by validation), without an intermediate array. */
  #hexBytes(hex: string): void {
    const n = hex.length >>> 1;
    this.#head(MAJOR_BYTES, n);
    this.#ensure(n);
    // The runtime's decoder (Deno 2.9) writes in place; measured 3.5× faster than a JS loop.
    new Uint8Array(this.#buf.buffer, this.#buf.byteOffset + this.#pos, n).setFromHex(hex);
    this.#pos += n;
  }

  /** An integer when the number is a safe integer, else the shortest exact float. */
  #number(v: number): void {
    if (Number.isSafeInteger(v)) {
      if (v >= 0) this.#head(MAJOR_UINT, v);
      else this.#head(MAJOR_NEGINT, -1 - v);
      return;
    }
    this.#ensure(9);
    const buf = this.#buf;
    const pos = this.#pos;
    switch (floatWidth(v)) {
      case 2: {
        const bits = halfBits(v);
        buf[pos] = FLOAT16;
        buf[pos + 1] = bits >>> 8;
        buf[pos + 2] = bits & 0xff;
        this.#pos = pos + 3;
        return;
      }
      case 4:
        buf[pos] = FLOAT32;
        this.#view.setFloat32(pos + 1, v);
        this.#pos = pos + 5;
        return;
      case 8:
        buf[pos] = FLOAT64;
        this.#view.setFloat64(pos + 1, v);
        this.#pos = pos + 9;
    }
  }

  #object(v: ObjectValue): void {
    if (typeof v === "string") this.#text(v);
    else if (typeof v === "number") this.#number(v);
    else if (typeof v === "boolean") {
      this.#ensure(1);
      this.#buf[this.#pos++] = v ? TRUE : FALSE;
    } else this.#hexBytes(v.ref);
  }
}

// Encoding reads only the validated copy of a record and calls no user code,
// so calls cannot interleave on the one writer.
const writer = new PayloadWriter();

/**
 * The payload of an already validated record, as a new array of its exact
 * size. The caller checks that size against `MAX_PAYLOAD_BYTES`. With
 * `borrow` it is a view of the encoder's reused buffer instead, valid only
 * until the next payload is encoded (by anyone in this thread): for a caller
 * that copies it at once, since a new array costs more than encoding a small
 * record (1.4 µs against about 2 for the rest of it, measured on this
 * project's VM).
 */
export function encodePayload(record: KnowledgeRecord, borrow = false): Uint8Array {
  return writer.encode(record, borrow);
}
