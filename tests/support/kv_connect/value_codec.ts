/**
 * KV Connect value encodings: a `Uint8Array` travels as its bytes
 * (`VE_BYTES`), a `Deno.KvU64` as 8 little-endian bytes (`VE_LE64`), and
 * every other value as V8 ValueSerializer bytes (`VE_V8`). `node:v8` in Deno
 * reads and writes the same serialization as Deno's KV client, so values keep
 * their JS types across the wire and in the backing KV. Values are written with
 * the plain `Serializer`, not `serialize()`: the latter writes typed arrays as
 * Node host objects, which Deno's client cannot read back.
 *
 * @module
 */

import { deserialize, Serializer } from "node:v8";
import { ValueEncoding, type WireValue } from "./messages.ts";

/** Size of a `VE_LE64` value: a u64 in little-endian order. */
export const LE64_BYTES = 8;

/** Thrown when a value's bytes do not match their declared encoding. */
export class ValueDecodeError extends Error {
  override name = "ValueDecodeError";
}

/** Decodes a wire value into the JS value Deno KV stores. */
export function decodeValue(value: WireValue): unknown {
  switch (value.encoding) {
    case ValueEncoding.BYTES:
      return new Uint8Array(value.data);
    case ValueEncoding.LE64:
      return new Deno.KvU64(readLe64(value.data));
    case ValueEncoding.V8:
      try {
        return deserialize(value.data);
      } catch (error) {
        throw new ValueDecodeError(`Cannot decode V8 value: ${(error as Error).message}`);
      }
    default:
      throw new ValueDecodeError(`Cannot decode value: unknown encoding ${value.encoding}`);
  }
}

/** Encodes a JS value read from Deno KV for the wire. */
export function encodeValue(value: unknown): WireValue {
  if (value instanceof Uint8Array) return { data: value, encoding: ValueEncoding.BYTES };
  if (value instanceof Deno.KvU64) {
    const data = new Uint8Array(LE64_BYTES);
    new DataView(data.buffer).setBigUint64(0, value.value, true);
    return { data, encoding: ValueEncoding.LE64 };
  }
  const serializer = new Serializer();
  serializer.writeHeader();
  serializer.writeValue(value);
  return { data: new Uint8Array(serializer.releaseBuffer()), encoding: ValueEncoding.V8 };
}

/**
 * Reads a `VE_LE64` payload.
 *
 * @throws {ValueDecodeError} If it is not exactly 8 bytes.
 */
export function readLe64(data: Uint8Array): bigint {
  if (data.length !== LE64_BYTES) {
    throw new ValueDecodeError(
      `Cannot decode LE64 value: expected ${LE64_BYTES} bytes, got ${data.length}`,
    );
  }
  return new DataView(data.buffer, data.byteOffset, LE64_BYTES).getBigUint64(0, true);
}
