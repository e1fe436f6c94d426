/**
 * UTF-8 encoding of short text in a loop, for the hot paths that encode a
 * text of a few dozen characters into a buffer of their own (the payload
 * encoder, the store's index digests): a call of `TextEncoder.encodeInto` is
 * an op into the runtime, dearer than the loop for such text. Longer text
 * goes to `encodeInto`, which is faster there.
 *
 * @module
 */

// Called through `call`: a method load on strings of many internal representations
// (flat, sliced, concatenated) goes megamorphic and costs more than the character.
const charCodeAt = String.prototype.charCodeAt;

/**
 * Text up to this many code units is encoded by {@linkcode utf8Into}: the
 * native `encodeInto` costs about 0.4 µs a call (a view of the buffer, an op,
 * a result object), which a loop only reaches at a few hundred characters.
 */
export const TEXT_LOOP_MAX = 256;

/**
 * Writes the UTF-8 of `s` into `buf` at `at` (room for 3 bytes a code unit
 * checked by the caller) and returns the position past it: the bytes
 * `TextEncoder` gives (the tests compare the payloads with cborg's on
 * arbitrary text). Validation has refused lone surrogates; one would become
 * U+FFFD here, as `TextEncoder` makes it.
 */
export function utf8Into(s: string, buf: Uint8Array, at: number): number {
  const n = s.length;
  let p = at;
  for (let i = 0; i < n; i++) {
    let c = charCodeAt.call(s, i);
    if (c < 0x80) {
      buf[p++] = c;
      continue;
    }
    if (c < 0x800) {
      buf[p++] = 0xc0 | (c >> 6);
      buf[p++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? charCodeAt.call(s, i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        buf[p++] = 0xf0 | (cp >> 18);
        buf[p++] = 0x80 | ((cp >> 12) & 0x3f);
        buf[p++] = 0x80 | ((cp >> 6) & 0x3f);
        buf[p++] = 0x80 | (cp & 0x3f);
        i++;
        continue;
      }
      c = 0xfffd;
    }
    buf[p++] = 0xe0 | (c >> 12);
    buf[p++] = 0x80 | ((c >> 6) & 0x3f);
    buf[p++] = 0x80 | (c & 0x3f);
  }
  return p;
}
