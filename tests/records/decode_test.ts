import assert from "node:assert/strict";
import { encode } from "cborg";
import {
  decodeRecord,
  fromHex,
  MAX_PAYLOAD_BYTES,
  PAYLOAD_HEADER_SIZE,
  RECORD_TYPE,
  RecordDecodeError,
  RecordValidationError,
  serializeEpoch,
  toHex,
} from "../../src/records/mod.ts";

/** Header for `type` followed by `bodyHex`. */
function payload(type: number, bodyHex: string): Uint8Array {
  const body = fromHex(bodyHex);
  const out = new Uint8Array(PAYLOAD_HEADER_SIZE + body.length);
  out[0] = type;
  out.set(body, PAYLOAD_HEADER_SIZE);
  return out;
}

function rejects(bytes: Uint8Array, match: RegExp) {
  assert.throws(() => decodeRecord(bytes), (e: unknown) => {
    assert.ok(e instanceof RecordDecodeError, `expected RecordDecodeError, got ${e}`);
    assert.match(e.reason, match);
    return true;
  });
}

// The canonical tiny epoch: {"d": "", "n": "e", "t": 0, "id": h'01'}.
const TINY_EPOCH = "a4616460616e61656174006269644101";

Deno.test("decodeRecord() accepts the canonical tiny epoch", () => {
  assert.deepEqual(decodeRecord(payload(RECORD_TYPE.epoch, TINY_EPOCH)), {
    type: "epoch",
    value: { id: "01", name: "e", description: "", startTime: 0 },
  });
});

Deno.test("decodeRecord() rejects a payload shorter than the header and a body", () => {
  rejects(new Uint8Array(0), /too short/);
  rejects(new Uint8Array(PAYLOAD_HEADER_SIZE), /too short/);
});

Deno.test("decodeRecord() rejects an unknown record type", () => {
  rejects(payload(3, TINY_EPOCH), /^unknown record type 3$/);
  rejects(payload(255, TINY_EPOCH), /^unknown record type 255$/);
});

Deno.test("decodeRecord() rejects a nonzero reserved header byte", () => {
  for (let i = 1; i < PAYLOAD_HEADER_SIZE; i++) {
    const bytes = payload(RECORD_TYPE.epoch, TINY_EPOCH);
    bytes[i] = 1;
    rejects(bytes, new RegExp(`reserved header byte ${i}`));
  }
});

Deno.test("decodeRecord() rejects a payload over the KV value limit", () => {
  rejects(new Uint8Array(MAX_PAYLOAD_BYTES + 1), /more than 65536/);
});

Deno.test("decodeRecord() rejects an indefinite-length map", () => {
  rejects(payload(RECORD_TYPE.epoch, "bf616460616e61656174006269644101ff"), /indefinite/);
});

Deno.test("decodeRecord() rejects an indefinite-length string", () => {
  rejects(payload(RECORD_TYPE.epoch, "a461647f6000ff616e61656174006269644101"), /malformed/);
});

Deno.test("decodeRecord() rejects a duplicate map key", () => {
  rejects(payload(RECORD_TYPE.epoch, "a5616460616e616561740061740062696441" + "01"), /malformed/);
});

Deno.test("decodeRecord() rejects an integer encoded in more bytes than necessary", () => {
  // startTime 0 as a one-byte-argument integer (0x18 0x00) instead of 0x00.
  rejects(payload(RECORD_TYPE.epoch, "a4616460616e6165617418006269644101"), /malformed/);
});

Deno.test("decodeRecord() rejects map keys out of deterministic order", () => {
  // Same four entries, "id" first.
  rejects(payload(RECORD_TYPE.epoch, "a46269644101616460616e61656174" + "00"), /canonical/);
});

Deno.test("decodeRecord() rejects a float where an integer encodes the same value", () => {
  // startTime 0.0 as a half float (f9 0000) instead of the integer 0.
  rejects(payload(RECORD_TYPE.epoch, "a4616460616e61656174f900006269644101"), /canonical/);
});

Deno.test("decodeRecord() rejects a float wider than needed", () => {
  // A vote map {"a": hash, "t": 0, "v": value, "by": "ann"} with value -0.5.
  const body = (value: string) =>
    "a4" + "6161" + "5820" + "ab".repeat(32) + "6174" + "00" + "6176" + value + "626279" +
    "63616e6e";
  assert.equal(decodeRecord(payload(RECORD_TYPE.vote, body("f9b800"))).type, "vote");
  rejects(payload(RECORD_TYPE.vote, body("fbbfe0000000000000")), /canonical/);
  rejects(payload(RECORD_TYPE.vote, body("fabf000000")), /canonical/);
});

Deno.test("decodeRecord() rejects trailing bytes after the body", () => {
  rejects(payload(RECORD_TYPE.epoch, TINY_EPOCH + "00"), /malformed/);
});

Deno.test("decodeRecord() rejects CBOR tags, undefined, NaN and infinities", () => {
  rejects(payload(RECORD_TYPE.epoch, "c1" + TINY_EPOCH), /malformed/);
  rejects(payload(RECORD_TYPE.epoch, "a4616460616e61656174f76269644101"), /malformed/);
  rejects(payload(RECORD_TYPE.epoch, "a4616460616e61656174f97e006269644101"), /malformed/);
  rejects(payload(RECORD_TYPE.epoch, "a4616460616e61656174f97c006269644101"), /malformed/);
});

Deno.test("decodeRecord() rejects a body that is not a map", () => {
  rejects(payload(RECORD_TYPE.epoch, "80"), /must be a CBOR map/);
  rejects(payload(RECORD_TYPE.epoch, "6161"), /must be a CBOR map/);
  rejects(payload(RECORD_TYPE.epoch, "f6"), /must be a CBOR map/);
});

Deno.test("decodeRecord() rejects an unknown body key", () => {
  const body = encode({ id: fromHex("01"), n: "e", d: "", t: 0, zz: 1 });
  rejects(payload(RECORD_TYPE.epoch, toHex(body)), /unknown key "zz"/);
});

Deno.test("decodeRecord() rejects non-string map keys", () => {
  rejects(payload(RECORD_TYPE.epoch, "a10101"), /malformed/);
});

Deno.test("decodeRecord() rejects a field of the wrong CBOR kind", () => {
  // id as a text string instead of a byte string.
  rejects(
    payload(RECORD_TYPE.epoch, "a4616460616e6165617400626964623031"),
    /"id" must be a byte string/,
  );
});

Deno.test("decodeRecord() rejects a reference object that is not 32 bytes", () => {
  const body = encode({ s: "x", p: "y", o: new Uint8Array(31), src: "z", c: 1, t: 0 });
  rejects(payload(RECORD_TYPE.assertion, toHex(body)), /32-byte hash/);
});

Deno.test("decodeRecord() reports schema violations as RecordValidationError", () => {
  // A well-formed epoch map missing its name.
  const body = "a3616460" + "6174" + "00" + "6269644101";
  assert.throws(
    () => decodeRecord(payload(RECORD_TYPE.epoch, body)),
    (e: unknown) => e instanceof RecordValidationError && e.field === "name",
  );
});

Deno.test("decodeRecord() rejects a record type byte that does not match the body", () => {
  const epoch = serializeEpoch({ id: "01", name: "e", description: "", startTime: 0 });
  epoch[0] = RECORD_TYPE.vote;
  assert.throws(() => decodeRecord(epoch), RecordDecodeError);
});

Deno.test("decodeRecord() rejects a non-Uint8Array argument with TypeError", () => {
  assert.throws(() => decodeRecord("x" as unknown as Uint8Array), TypeError);
});

Deno.test("decodeRecord() rejects a __proto__ body key", () => {
  // {"d": "", "n": "e", "t": 0, "id": h'01', "__proto__": {}} — an extra key by another name.
  const body = TINY_EPOCH.replace(/^a4/, "a5") + "695f5f70726f746f5f5fa0";
  assert.throws(() => decodeRecord(payload(RECORD_TYPE.epoch, body)), RecordDecodeError);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("decodeRecord() rejects -0, which serialization writes as 0", () => {
  // A vote whose value is the half float -0.0 (f9 8000) instead of the integer 0.
  const body = "a4" + "6161" + "5820" + "ab".repeat(32) + "6174" + "00" + "6176" + "f98000" +
    "626279" + "63616e6e";
  rejects(payload(RECORD_TYPE.vote, body), /-0/);
  const zero = body.replace("6176f98000", "617600");
  assert.equal(decodeRecord(payload(RECORD_TYPE.vote, zero)).type, "vote");
});
