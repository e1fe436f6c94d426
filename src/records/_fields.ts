// Field checks shared by the three record validators. Each returns the
// normalised value or throws RecordValidationError naming the field.

import { RecordValidationError } from "./errors.ts";
import { HASH_HEX_LENGTH, MAX_EPOCH_ID_BYTES } from "./limits.ts";
import { isEpochId, isHash } from "./hex.ts";

const encoder = new TextEncoder();

/** Short, quoted rendering of a rejected value for error messages. */
export function show(value: unknown): string {
  let text: string;
  if (typeof value === "number") text = String(value);
  else if (typeof value === "bigint") text = `${value}n`;
  else if (value === undefined) text = "undefined";
  else if (value instanceof Uint8Array) text = `bytes(${value.length})`;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Throws for `field` of a `type` record with `reason`. */
export function fail(type: string, field: string, reason: string): never {
  throw new RecordValidationError(type, field, reason);
}

/** A plain object (not null, not an array, not a typed array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Rejects own keys of `obj` not in `allowed`. */
export function rejectUnknown(type: string, obj: Record<string, unknown>, allowed: string[]) {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) fail(type, key, "is not a known field");
  }
}

/** Whether `value` is what `text()` accepts, without naming a field. */
export function isText(value: unknown, allowEmpty = false): value is string {
  return typeof value === "string" && (allowEmpty || value.length > 0) && value.isWellFormed();
}

/** A well-formed string; non-empty unless `allowEmpty`. */
export function text(type: string, field: string, value: unknown, allowEmpty = false): string {
  if (isText(value, allowEmpty)) return value;
  if (typeof value !== "string") fail(type, field, `must be a string, got ${show(value)}`);
  if (!allowEmpty && value.length === 0) fail(type, field, `must be a non-empty string, got ""`);
  // What is left is a lone surrogate: it has no UTF-8 encoding, and TextEncoder would silently
  // replace it.
  return fail(type, field, `must be valid Unicode text (lone surrogate)`);
}

/** UTF-8 byte length of a string. */
export function utf8Length(value: string): number {
  return encoder.encode(value).length;
}

/** A finite number in [min, max]; −0 becomes 0. */
export function numberIn(
  type: string,
  field: string,
  value: unknown,
  min: number,
  max: number,
): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    fail(type, field, `must be a number in [${min}, ${max}], got ${show(value)}`);
  }
  return value === 0 ? 0 : value;
}

/**
 * A safe integer number of milliseconds since the Unix epoch, negative before
 * 1970. Safe integers, ±(2^53 − 1), hold every JavaScript date (±8.64e15 ms)
 * and every time an earlier version accepted (safe integers ≥ 0).
 */
export function time(type: string, field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    fail(type, field, `must be a safe integer number of milliseconds, got ${show(value)}`);
  }
  return value === 0 ? 0 : value;
}

/**
 * Text that becomes a Deno KV key part: non-empty, at most `maxBytes` UTF-8
 * bytes and without U+0000, which the key encoding would escape into two bytes.
 */
export function keyText(type: string, field: string, value: unknown, maxBytes: number): string {
  const out = text(type, field, value);
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: only a long text needs counting.
  if (3 * out.length > maxBytes) {
    const bytes = utf8Length(out);
    if (bytes > maxBytes) {
      fail(type, field, `must be at most ${maxBytes} UTF-8 bytes, got ${bytes}`);
    }
  }
  if (out.includes("\0")) fail(type, field, "must not contain U+0000");
  return out;
}

/** A 64-character lowercase hex content hash. */
export function hash(type: string, field: string, value: unknown): string {
  if (!isHash(value)) {
    fail(type, field, `must be ${HASH_HEX_LENGTH} lowercase hex characters, got ${show(value)}`);
  }
  return value;
}

/** An epoch id: 1–32 bytes as 2–64 lowercase hex characters. */
export function epochId(type: string, field: string, value: unknown): string {
  if (!isEpochId(value)) {
    fail(
      type,
      field,
      `must be 2 to ${2 * MAX_EPOCH_ID_BYTES} lowercase hex characters (even length), got ${
        show(value)
      }`,
    );
  }
  return value;
}
