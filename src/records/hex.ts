/**
 * Lowercase hexadecimal conversion for hashes and epoch ids.
 *
 * @module
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Encodes bytes as lowercase hex.
 *
 * @example Encode two bytes
 * ```ts
 * import { toHex } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(toHex(new Uint8Array([0x0a, 0xff])), "0aff");
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}

/** True when `text` is non-empty, even-length lowercase hex. */
export function isLowerHex(text: string): boolean {
  return text.length > 0 && text.length % 2 === 0 && /^[0-9a-f]+$/.test(text);
}

/**
 * Decodes lowercase hex into bytes.
 *
 * @throws {TypeError} If `text` is not even-length lowercase hex.
 *
 * @example Decode two bytes
 * ```ts
 * import { fromHex } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(fromHex("0aff"), new Uint8Array([0x0a, 0xff]));
 * ```
 */
export function fromHex(text: string): Uint8Array {
  if (typeof text !== "string" || (text.length > 0 && !isLowerHex(text))) {
    throw new TypeError(`Cannot decode hex "${String(text).slice(0, 80)}": expected lowercase hex`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}
