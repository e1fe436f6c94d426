// An independent, deliberately naive RFC 8949 §4.2.1 deterministic encoder for
// the value kinds record bodies use (maps with text keys, text, byte strings,
// arrays, booleans, numbers). Tests compare it with the production encoder.

function head(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n];
  if (n < 0x100) return [(major << 5) | 24, n];
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
  if (n < 0x1_0000_0000) {
    return [(major << 5) | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  }
  const hi = Math.floor(n / 0x1_0000_0000);
  const lo = n % 0x1_0000_0000;
  return [(major << 5) | 27, ...u32(hi), ...u32(lo)];
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** IEEE 754 half-precision bits of `v` when `v` is exactly representable, else null. */
function halfBits(v: number): number | null {
  if (v === 0) return Object.is(v, -0) ? 0x8000 : 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a > 65504) return null;
  let exp = Math.floor(Math.log2(a));
  while (2 ** exp > a) exp--;
  while (2 ** (exp + 1) <= a) exp++;
  if (exp < -14) {
    const m = a * 2 ** 24; // subnormal: a = m × 2^-24
    return Number.isInteger(m) && m < 1024 ? sign | m : null;
  }
  const mant = (a / 2 ** exp - 1) * 1024;
  return Number.isInteger(mant) ? sign | ((exp + 15) << 10) | mant : null;
}

function number(v: number): number[] {
  if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
    return v >= 0 ? head(0, v) : head(1, -1 - v);
  }
  const half = halfBits(v);
  if (half !== null) return [0xf9, half >> 8, half & 0xff];
  const view = new DataView(new ArrayBuffer(8));
  if (Math.fround(v) === v) {
    view.setFloat32(0, v);
    return [0xfa, ...new Uint8Array(view.buffer, 0, 4)];
  }
  view.setFloat64(0, v);
  return [0xfb, ...new Uint8Array(view.buffer)];
}

function compareBytes(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function item(value: unknown): number[] {
  if (typeof value === "boolean") return [value ? 0xf5 : 0xf4];
  if (typeof value === "number") return number(value);
  if (typeof value === "string") {
    const bytes = new TextEncoder().encode(value);
    return [...head(3, bytes.length), ...bytes];
  }
  if (value instanceof Uint8Array) return [...head(2, value.length), ...value];
  if (Array.isArray(value)) return [...head(4, value.length), ...value.flatMap(item)];
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(([k, v]) => [item(k), item(v)]);
    // Keys sorted by the bytewise lexicographic order of their encodings.
    entries.sort((x, y) => compareBytes(x[0], y[0]));
    return [...head(5, entries.length), ...entries.flat(2)];
  }
  throw new TypeError(`Cannot encode ${typeof value}`);
}

/** Deterministic CBOR encoding of `value`. */
export function referenceEncode(value: unknown): Uint8Array {
  return Uint8Array.from(item(value));
}
