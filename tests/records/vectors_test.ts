import assert from "node:assert/strict";
import {
  contentHash,
  decodeRecord,
  fromHex,
  parseRecordJson,
  recordToJson,
  serializeRecord,
  toHex,
} from "../../src/records/mod.ts";

interface Vector {
  name: string;
  record: Record<string, unknown>;
  payload: string;
  blake3: string;
}

const { vectors } = JSON.parse(
  await Deno.readTextFile(new URL("../vectors/payloads.json", import.meta.url)),
) as { vectors: Vector[] };

Deno.test("payload vectors cover every record type", () => {
  const types = new Set(vectors.map((v) => v.record.type));
  assert.deepEqual([...types].sort(), ["assertion", "epoch", "vote"]);
});

for (const vector of vectors) {
  Deno.test(`serializeRecord() reproduces the vector "${vector.name}" byte for byte`, async () => {
    const payload = serializeRecord(parseRecordJson(vector.record));
    assert.equal(toHex(payload), vector.payload);
    assert.equal(await contentHash(payload), vector.blake3);
  });

  Deno.test(`decodeRecord() reads the vector "${vector.name}" back to its JSON`, () => {
    const record = decodeRecord(fromHex(vector.payload));
    assert.deepEqual(recordToJson(record), vector.record);
  });
}

Deno.test("serializeEpoch() of a tiny epoch gives the hand-checked CBOR bytes", () => {
  // {"type":"epoch","id":"01","name":"e","description":"","startTime":0}
  const expected = [
    "02", // type 2: epoch
    "00000000000000", // 7 reserved zero bytes
    "a4", // map(4)
    // RFC 8949 §4.2.1: keys sorted by their encoded bytes, so shorter keys first:
    "6164", // text(1) "d"  (description)
    "60", //   text(0) ""
    "616e", // text(1) "n"  (name)
    "6165", //   text(1) "e"
    "6174", // text(1) "t"  (startTime)
    "00", //   unsigned(0)
    "626964", // text(2) "id"
    "4101", //   bytes(1) 0x01
  ].join("");
  const payload = serializeRecord({
    type: "epoch",
    value: { id: "01", name: "e", description: "", startTime: 0 },
  });
  assert.equal(toHex(payload), expected);
  assert.equal(vectors[0].payload, expected);
});

Deno.test("contentHash() matches the BLAKE3 reference digest of the empty input", async () => {
  // From the BLAKE3 specification's test vectors (input length 0).
  assert.equal(
    await contentHash(new Uint8Array(0)),
    "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
  );
});
