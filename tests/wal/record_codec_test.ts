import assert from "node:assert/strict";
import { blake3, crc32 } from "hash-wasm";
import { loadHashers } from "../../src/wal/checksums.ts";
import { CRC32C_POLYNOMIAL, HEADER_SIZE } from "../../src/wal/format.ts";
import {
  checkRecord,
  decodeRecord,
  encodedSize,
  encodeRecord,
} from "../../src/wal/record_codec.ts";

interface Vector {
  name: string;
  payload_hex: string;
  crc32c_hex: string;
  blake3_hex: string;
  record_hex: string;
}
const vectors: { header_size: number; checks: Record<string, string>; records: Vector[] } = JSON
  .parse(
    await Deno.readTextFile(new URL("../vectors/records.json", import.meta.url)),
  );
const fromHex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (x) => parseInt(x, 16));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const ascii = (s: string) => new TextEncoder().encode(s);

Deno.test('CRC-32C of "123456789" is the Castagnoli check value 0xe3069283', async () => {
  const h = await loadHashers();
  assert.equal(h.crc32c(ascii("123456789")), 0xe3069283);
  assert.equal(h.crc32c(ascii("12345"), ascii("6789")), 0xe3069283);
  assert.equal(vectors.checks.crc32c_123456789, "e3069283");
});

Deno.test("BLAKE3-256 of the empty input is the published value", async () => {
  const h = await loadHashers();
  const out = new Uint8Array(32);
  h.blake3Into(new Uint8Array(0), out, 0);
  assert.equal(hex(out), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
  assert.equal(vectors.checks.blake3_empty, hex(out));
});

Deno.test("BLAKE3 and the sealed CRC-32C agree with hash-wasm's one-shot functions at every size path", async () => {
  // blake3-jit takes one 1 KiB chunk, many chunks, and from 4 KiB WASM SIMD;
  // sealing computes the CRC over the length copied next to the digest.
  const h = await loadHashers();
  for (const size of [1, 63, 64, 65, 1023, 1024, 1025, 2048, 4095, 4096, 4097, 70_000]) {
    const payload = Uint8Array.from({ length: size }, (_, i) => (i * 31 + size) & 0xff);
    const out = new Uint8Array(1 + encodedSize(size));
    encodeRecord(h, payload, out, 1);
    const record = out.subarray(1);
    assert.equal(hex(record.subarray(8, HEADER_SIZE)), await blake3(payload), `size ${size}`);
    const covered = new Uint8Array([...record.subarray(0, 4), ...record.subarray(8)]);
    const crc = new DataView(record.buffer, record.byteOffset).getUint32(4, true);
    assert.equal(crc.toString(16).padStart(8, "0"), await crc32(covered, CRC32C_POLYNOMIAL));
    assert.equal(checkRecord(h, record, 0, record.length, 1 << 20, true), null, `size ${size}`);
  }
});

Deno.test("record vectors re-encode byte-exactly", async () => {
  const h = await loadHashers();
  assert.equal(vectors.header_size, HEADER_SIZE);
  for (const v of vectors.records) {
    const payload = fromHex(v.payload_hex);
    const out = new Uint8Array(encodedSize(payload.length) + 3);
    assert.equal(encodeRecord(h, payload, out, 3), out.length, v.name);
    assert.equal(hex(out.subarray(3)), v.record_hex, v.name);
  }
});

Deno.test("record vectors agree with independent one-shot CRC-32C and BLAKE3", async () => {
  for (const v of vectors.records) {
    const payload = fromHex(v.payload_hex);
    const record = fromHex(v.record_hex);
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, payload.length, true);
    assert.equal(await blake3(payload), v.blake3_hex, v.name);
    const covered = new Uint8Array([...len, ...fromHex(v.blake3_hex), ...payload]);
    assert.equal(await crc32(covered, CRC32C_POLYNOMIAL), v.crc32c_hex, v.name);
    const expected = new Uint8Array(HEADER_SIZE + payload.length);
    expected.set(len, 0);
    new DataView(expected.buffer).setUint32(4, parseInt(v.crc32c_hex, 16), true);
    expected.set(fromHex(v.blake3_hex), 8);
    expected.set(payload, HEADER_SIZE);
    assert.equal(hex(expected), hex(record), v.name);
  }
});

Deno.test("decodeRecord() returns the payload and digest of each vector", async () => {
  const h = await loadHashers();
  for (const v of vectors.records) {
    const decoded = decodeRecord(h, fromHex(v.record_hex), 1 << 20);
    assert.ok(typeof decoded !== "string", v.name);
    assert.equal(hex(decoded.payload), v.payload_hex);
    assert.equal(hex(decoded.digest), v.blake3_hex);
  }
});

Deno.test("checkRecord() reports each kind of damage", async () => {
  const h = await loadHashers();
  const record = fromHex(vectors.records[2].record_hex); // "hello"
  const check = (bytes: Uint8Array, available = bytes.length, max = 100) =>
    checkRecord(h, bytes, 0, available, max, true);
  assert.equal(check(record), null);
  assert.equal(check(record, HEADER_SIZE - 1), "torn header");
  assert.equal(check(record, record.length - 1), "torn payload");
  assert.equal(check(record, record.length, 4), "length exceeds maximum");
  const zero = record.slice();
  zero.fill(0, 0, 4);
  assert.equal(check(zero), "zero length");
  const badLen = record.slice();
  badLen[0] = 4;
  assert.equal(check(badLen), "crc mismatch");
  const badPayload = record.slice();
  badPayload[HEADER_SIZE] ^= 1;
  assert.equal(check(badPayload), "crc mismatch");
  // A digest that does not match the payload, with a crc recomputed over it.
  const badDigest = record.slice();
  badDigest[8] ^= 1;
  const crc = h.crc32c(badDigest.subarray(0, 4), badDigest.subarray(8));
  new DataView(badDigest.buffer).setUint32(4, crc, true);
  assert.equal(check(badDigest), "digest mismatch");
  assert.equal(checkRecord(h, badDigest, 0, badDigest.length, 100, false), null);
});
