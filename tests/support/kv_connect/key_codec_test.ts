import assert from "node:assert/strict";
import {
  compareBytes,
  decodeKey,
  decodeKeyPrefix,
  encodeKey,
  KeyDecodeError,
} from "./key_codec.ts";

// Captured from Deno 2.9.6's remote client: the key of an atomic set it sent.
const CLIENT_KEY: Deno.KvKey = ["a", 1n, -300n, 2.5, true, false, new Uint8Array([0, 1])];
const CLIENT_BYTES = [
  ...[0x02, 0x61, 0x00], // "a"
  ...[0x15, 0x01], // 1n: one magnitude byte
  ...[0x12, 0xfe, 0xd3], // -300n: two bytes, one's complement of 0x012c
  ...[0x21, 0xc0, 0x04, 0, 0, 0, 0, 0, 0], // 2.5: sign bit flipped
  0x27, // true
  0x26, // false
  ...[0x01, 0x00, 0xff, 0x01, 0x00], // [0, 1]: 0x00 escaped as 0x00 0xff
];

Deno.test("encodeKey() writes the bytes Deno's remote client sends", () => {
  assert.deepEqual([...encodeKey(CLIENT_KEY)], CLIENT_BYTES);
  assert.deepEqual(decodeKey(Uint8Array.from(CLIENT_BYTES)), CLIENT_KEY);
});

Deno.test("encodeKey() round-trips integers past 8 bytes, negative doubles and NaN", () => {
  const key: Deno.KvKey = [2n ** 80n, -(2n ** 80n), -0.5, -Infinity, NaN, "", new Uint8Array()];
  const decoded = decodeKey(encodeKey(key));
  assert.deepEqual(decoded.slice(0, 4), key.slice(0, 4));
  assert.ok(Number.isNaN(decoded[4]));
  assert.deepEqual(decoded.slice(5), key.slice(5));
});

// Integer type codes (0x0b..0x1d) sit below the double's (0x21): bigints
// sort before numbers in the bytes, whatever the prose docs list.
Deno.test("encodeKey() orders bytes, strings, bigints, numbers, booleans, and within each by value", () => {
  const ordered: Deno.KvKeyPart[] = [
    new Uint8Array([0]),
    new Uint8Array([1]),
    "a",
    "b",
    -(2n ** 70n),
    -1n,
    0n,
    1n,
    2n ** 70n,
    -1,
    0,
    1,
    false,
    true,
  ];
  for (let i = 1; i < ordered.length; i++) {
    const a = encodeKey([ordered[i - 1]]);
    const b = encodeKey([ordered[i]]);
    assert.ok(compareBytes(a, b) < 0, `${String(ordered[i - 1])} < ${String(ordered[i])}`);
  }
});

Deno.test("decodeKey() rejects a range bound that is not a whole key, decodeKeyPrefix() keeps its parts", () => {
  const bound = Uint8Array.from([...encodeKey(["p", 1n]), 0x00]);
  assert.throws(() => decodeKey(bound), KeyDecodeError, "byte 5");
  assert.deepEqual(decodeKeyPrefix(bound), { parts: ["p", 1n], end: 5 });
  assert.throws(() => decodeKey(Uint8Array.from([0x02, 0x61])), KeyDecodeError);
});
