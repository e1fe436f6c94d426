// Regenerates tests/vectors/records.json from the codec:
//   deno run -A tests/wal/_generate_vectors.ts
// The vectors test checks them against independent one-shot hashes, so they are not self-fulfilling.
import { loadHashers } from "../../src/wal/checksums.ts";
import { encodedSize, encodeRecord, readU32 } from "../../src/wal/record_codec.ts";
import { CRC_OFFSET, DIGEST_OFFSET, DIGEST_SIZE } from "../../src/wal/format.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const text = (s: string) => new TextEncoder().encode(s);
const h = await loadHashers();

const cases: [string, Uint8Array][] = [
  ["one zero byte", new Uint8Array([0])],
  ["ascii 123456789", text("123456789")],
  ["ascii hello", text("hello")],
  ["bytes 0..255", Uint8Array.from({ length: 256 }, (_, i) => i)],
  ["1000 bytes 0xa5", new Uint8Array(1000).fill(0xa5)],
  [
    "payload header assertion + cbor map",
    Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0xa1, 0x61, 0x73, 0x61, 0x78]),
  ],
];
const records = cases.map(([name, payload]) => {
  const out = new Uint8Array(encodedSize(payload.length));
  encodeRecord(h, payload, out, 0);
  return {
    name,
    payload_hex: hex(payload),
    crc32c_hex: readU32(out, CRC_OFFSET).toString(16).padStart(8, "0"),
    blake3_hex: hex(out.subarray(DIGEST_OFFSET, DIGEST_OFFSET + DIGEST_SIZE)),
    record_hex: hex(out),
  };
});
const doc = {
  description:
    "stemedb journal record vectors, format version 2: record = [len u32 LE][crc32c u32 LE][blake3-256 32 bytes][payload]; crc32c (Castagnoli) covers len bytes, digest bytes, payload",
  format_version: 2,
  header_size: 40,
  checks: {
    crc32c_123456789: "e3069283",
    blake3_empty: "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
  },
  records,
};
await Deno.writeTextFile(
  new URL("../vectors/records.json", import.meta.url),
  JSON.stringify(doc, null, 2) + "\n",
);
