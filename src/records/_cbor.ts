// CBOR (RFC 8949) constants and the shortest-float rule shared by the payload
// encoder and the strict decoder, so that both sides agree by construction on
// what "deterministic" means (§4.2.1).

/** Major types, already shifted into the top three bits of the initial byte. */
export const MAJOR_UINT = 0 << 5;
export const MAJOR_NEGINT = 1 << 5;
export const MAJOR_BYTES = 2 << 5;
export const MAJOR_TEXT = 3 << 5;
export const MAJOR_ARRAY = 4 << 5;
export const MAJOR_MAP = 5 << 5;
export const MAJOR_TAG = 6 << 5;
export const MAJOR_SIMPLE = 7 << 5;

/** Additional information values: argument in the next 1, 2, 4 or 8 bytes; indefinite length. */
export const INFO_UINT8 = 24;
export const INFO_UINT16 = 25;
export const INFO_UINT32 = 26;
export const INFO_UINT64 = 27;
export const INFO_INDEFINITE = 31;

/** Initial bytes of the simple values and floats records use. */
export const FALSE = MAJOR_SIMPLE | 20;
export const TRUE = MAJOR_SIMPLE | 21;
export const UNDEFINED = MAJOR_SIMPLE | 23;
export const BREAK = MAJOR_SIMPLE | INFO_INDEFINITE;
export const FLOAT16 = MAJOR_SIMPLE | INFO_UINT16;
export const FLOAT32 = MAJOR_SIMPLE | INFO_UINT32;
export const FLOAT64 = MAJOR_SIMPLE | INFO_UINT64;

/** 2^32, to split an argument above 32 bits into two halves. */
export const TWO_32 = 0x1_0000_0000;

/** Bytes of an initial byte plus argument for `n`, in shortest form. */
export function headSize(n: number): number {
  return n < INFO_UINT8 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < TWO_32 ? 5 : 9;
}

const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

/**
 * IEEE 754 half-precision bits of `v`, or −1 when a half cannot hold `v`
 * exactly. `v` must already be exact as a single (`Math.fround(v) === v`).
 */
export function halfBits(v: number): number {
  f32[0] = v;
  const bits = f32Bits[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = ((bits >>> 23) & 0xff) - 127;
  const mant = bits & 0x7fffff;
  if (exp === -127) return mant === 0 ? sign : -1; // ±0; single subnormals are below any half
  if (exp > 15) return -1;
  if (exp >= -14) return (mant & 0x1fff) === 0 ? sign | ((exp + 15) << 10) | (mant >>> 13) : -1;
  if (exp < -24) return -1;
  // A half subnormal is m × 2^-24 with m < 1024; the single is (2^23 + mant) × 2^(exp − 23).
  const significand = mant | 0x800000;
  const shift = -exp - 1;
  return (significand & ((1 << shift) - 1)) === 0 ? sign | (significand >>> shift) : -1;
}

/**
 * Width in bytes (2, 4 or 8) of the shortest IEEE 754 float that holds the
 * finite number `v` exactly: the float RFC 8949 §4.2.1 prescribes for a
 * number that is not encoded as an integer.
 */
export function floatWidth(v: number): 2 | 4 | 8 {
  if (Math.fround(v) !== v) return 8;
  return halfBits(v) === -1 ? 4 : 2;
}
