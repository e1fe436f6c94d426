/**
 * Deno KV's key encoding as KV Connect carries it on the wire: each key part
 * is a type code byte followed by its payload, in the order-preserving
 * layout of the FoundationDB tuple format, so comparing two encoded keys
 * byte by byte orders them as Deno KV orders the keys.
 *
 * - `Uint8Array`: `0x01`, the bytes with every `0x00` written `0x00 0xff`, then `0x00`.
 * - `string`: `0x02`, the UTF-8 bytes escaped the same way, then `0x00`.
 * - `bigint`: `0x14` for zero; `0x14 + n` then the n big-endian magnitude bytes
 *   (n in 1..8) for a positive value; `0x14 - n` then the one's complement of the
 *   magnitude for a negative one; past 8 bytes `0x1d` (or `0x0b`) then a length
 *   byte (complemented for negatives) then the bytes.
 * - `number`: `0x21`, then the IEEE 754 big-endian bits with the sign bit
 *   flipped for positives and every bit flipped for negatives; NaN is canonical.
 * - `false`: `0x26`; `true`: `0x27`.
 *
 * @module
 */

const BYTES = 0x01;
const STRING = 0x02;
const NEG_INT_ARBITRARY = 0x0b;
const INT_ZERO = 0x14;
const POS_INT_ARBITRARY = 0x1d;
/** Integers of up to this many magnitude bytes carry their length in the type code. */
const MAX_SHORT_INT_BYTES = 8;
const DOUBLE = 0x21;
const FALSE = 0x26;
const TRUE = 0x27;
const TERMINATOR = 0x00;
const ESCAPE = 0xff;

/** Thrown when bytes on the wire are not a key Deno KV could have encoded. */
export class KeyDecodeError extends Error {
  override name = "KeyDecodeError";
}

/** Encodes a Deno KV key into its KV Connect wire bytes. */
export function encodeKey(key: Deno.KvKey): Uint8Array {
  const out: number[] = [];
  for (const part of key) encodePart(out, part);
  return Uint8Array.from(out);
}

/**
 * Decodes KV Connect wire bytes into a Deno KV key.
 *
 * @throws {KeyDecodeError} If the bytes are not a whole, valid encoded key.
 */
export function decodeKey(bytes: Uint8Array): Deno.KvKey {
  const { parts, end } = decodeKeyPrefix(bytes);
  if (end !== bytes.length) {
    throw new KeyDecodeError(
      `Cannot decode key ${hex(bytes)}: invalid key part at byte ${end}`,
    );
  }
  return parts;
}

/**
 * Decodes as many whole key parts as the bytes begin with. `end` is the
 * offset after the last whole part; range bounds such as `prefix + 0x00`
 * decode to their prefix with `end` short of the length.
 */
export function decodeKeyPrefix(bytes: Uint8Array): { parts: Deno.KvKeyPart[]; end: number } {
  const parts: Deno.KvKeyPart[] = [];
  let at = 0;
  while (at < bytes.length) {
    const decoded = decodePart(bytes, at);
    if (decoded === undefined) break;
    parts.push(decoded.part);
    at = decoded.next;
  }
  return { parts, end: at };
}

/** Compares two encoded keys byte by byte: negative, zero or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

function encodePart(out: number[], part: Deno.KvKeyPart): void {
  if (part instanceof Uint8Array) {
    out.push(BYTES);
    escapeInto(out, part);
  } else if (typeof part === "string") {
    out.push(STRING);
    escapeInto(out, new TextEncoder().encode(part));
  } else if (typeof part === "bigint") {
    encodeBigint(out, part);
  } else if (typeof part === "number") {
    out.push(DOUBLE, ...doubleBytes(part));
  } else if (typeof part === "boolean") {
    out.push(part ? TRUE : FALSE);
  } else {
    throw new TypeError(`Cannot encode key part ${String(part)}: unsupported type`);
  }
}

function escapeInto(out: number[], bytes: Uint8Array): void {
  for (const b of bytes) {
    out.push(b);
    if (b === TERMINATOR) out.push(ESCAPE);
  }
  out.push(TERMINATOR);
}

function magnitudeBytes(n: bigint): number[] {
  const bytes: number[] = [];
  for (let v = n; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return bytes;
}

function encodeBigint(out: number[], value: bigint): void {
  if (value === 0n) {
    out.push(INT_ZERO);
    return;
  }
  const negative = value < 0n;
  const magnitude = magnitudeBytes(negative ? -value : value);
  const n = magnitude.length;
  const body = negative ? magnitude.map((b) => b ^ 0xff) : magnitude;
  if (n <= MAX_SHORT_INT_BYTES) {
    out.push(negative ? INT_ZERO - n : INT_ZERO + n, ...body);
  } else if (negative) {
    out.push(NEG_INT_ARBITRARY, n ^ 0xff, ...body);
  } else {
    out.push(POS_INT_ARBITRARY, n, ...body);
  }
}

function doubleBytes(value: number): number[] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Number.isNaN(value) ? NaN : value);
  const bytes = [...new Uint8Array(view.buffer)];
  if (bytes[0] & 0x80) return bytes.map((b) => b ^ 0xff);
  bytes[0] ^= 0x80;
  return bytes;
}

function decodePart(
  bytes: Uint8Array,
  at: number,
): { part: Deno.KvKeyPart; next: number } | undefined {
  const code = bytes[at];
  if (code === BYTES || code === STRING) {
    const unescaped = unescapeFrom(bytes, at + 1);
    if (unescaped === undefined) return undefined;
    const part = code === BYTES ? unescaped.bytes : decodeUtf8(unescaped.bytes);
    if (part === undefined) return undefined;
    return { part, next: unescaped.next };
  }
  if (code >= NEG_INT_ARBITRARY && code <= POS_INT_ARBITRARY) return decodeBigint(bytes, at);
  if (code === DOUBLE) {
    if (at + 9 > bytes.length) return undefined;
    const raw = [...bytes.subarray(at + 1, at + 9)];
    const restored = raw[0] & 0x80 ? (raw[0] ^= 0x80, raw) : raw.map((b) => b ^ 0xff);
    return { part: new DataView(Uint8Array.from(restored).buffer).getFloat64(0), next: at + 9 };
  }
  if (code === FALSE || code === TRUE) return { part: code === TRUE, next: at + 1 };
  return undefined;
}

function unescapeFrom(
  bytes: Uint8Array,
  at: number,
): { bytes: Uint8Array; next: number } | undefined {
  const out: number[] = [];
  let i = at;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b !== TERMINATOR) {
      out.push(b);
      i++;
    } else if (bytes[i + 1] === ESCAPE) {
      out.push(TERMINATOR);
      i += 2;
    } else {
      return { bytes: Uint8Array.from(out), next: i + 1 };
    }
  }
  return undefined;
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function decodeBigint(bytes: Uint8Array, at: number): { part: bigint; next: number } | undefined {
  const code = bytes[at];
  if (code === INT_ZERO) return { part: 0n, next: at + 1 };
  const negative = code < INT_ZERO;
  let start = at + 1;
  let n: number;
  if (code === NEG_INT_ARBITRARY || code === POS_INT_ARBITRARY) {
    if (start >= bytes.length) return undefined;
    n = negative ? bytes[start] ^ 0xff : bytes[start];
    start++;
  } else {
    n = negative ? INT_ZERO - code : code - INT_ZERO;
  }
  if (start + n > bytes.length) return undefined;
  let magnitude = 0n;
  for (const b of bytes.subarray(start, start + n)) {
    magnitude = (magnitude << 8n) | BigInt(negative ? b ^ 0xff : b);
  }
  return { part: negative ? -magnitude : magnitude, next: start + n };
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
