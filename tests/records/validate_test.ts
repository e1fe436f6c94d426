import assert from "node:assert/strict";
import {
  type Assertion,
  decodeRecord,
  type Epoch,
  MAX_PAYLOAD_BYTES,
  MAX_SUBJECT_BYTES,
  MAX_TAGS,
  MAX_VOTER_BYTES,
  RecordValidationError,
  serializeAssertion,
  serializeEpoch,
  serializeRecord,
  serializeVote,
  type Vote,
} from "../../src/records/mod.ts";

const HASH = "ab".repeat(32);
const ASSERTION: Assertion = {
  subject: "earth",
  predicate: "orbits",
  object: "sun",
  source: "kepler",
  confidence: 0.9,
  timestamp: 0,
};
const VOTE: Vote = { assertion: HASH, voter: "ann", value: 1, timestamp: 0 };
const EPOCH: Epoch = { id: "01", name: "e", description: "", startTime: 0 };

function invalid(fn: () => unknown, field: string, message?: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RecordValidationError, `expected RecordValidationError, got ${e}`);
    assert.equal(e.field, field);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  });
}

const a = (patch: Record<string, unknown>) => () =>
  serializeAssertion({ ...ASSERTION, ...patch } as Assertion);
const v = (patch: Record<string, unknown>) => () => serializeVote({ ...VOTE, ...patch } as Vote);
const e = (patch: Record<string, unknown>) => () => serializeEpoch({ ...EPOCH, ...patch } as Epoch);

Deno.test("serializeAssertion() names the field and reason for a confidence above 1", () => {
  invalid(
    a({ confidence: 1.5 }),
    "confidence",
    'Invalid assertion: field "confidence" must be a number in [0, 1], got 1.5',
  );
});

Deno.test("serializeAssertion() rejects confidence that is negative, NaN or not a number", () => {
  invalid(a({ confidence: -0.01 }), "confidence");
  invalid(a({ confidence: NaN }), "confidence");
  invalid(a({ confidence: "1" }), "confidence");
});

Deno.test("serializeAssertion() rejects empty or missing text fields", () => {
  invalid(a({ subject: "" }), "subject");
  invalid(a({ predicate: "" }), "predicate");
  invalid(
    a({ source: undefined }),
    "source",
    'Invalid assertion: field "source" must be a string, got undefined',
  );
  invalid(a({ predicate: 5 }), "predicate");
});

Deno.test("serializeAssertion() rejects text with a lone surrogate", () => {
  invalid(a({ subject: "a\ud800b" }), "subject");
  invalid(a({ object: "\udc00" }), "object");
});

Deno.test("serializeAssertion() accepts a subject of exactly MAX_SUBJECT_BYTES and rejects one more", () => {
  serializeAssertion({ ...ASSERTION, subject: "x".repeat(MAX_SUBJECT_BYTES) });
  invalid(a({ subject: "x".repeat(MAX_SUBJECT_BYTES + 1) }), "subject");
  // Counted in UTF-8 bytes, not UTF-16 code units: "é" is 2 bytes.
  invalid(a({ subject: "é".repeat(MAX_SUBJECT_BYTES / 2 + 1) }), "subject");
});

Deno.test("serializeAssertion() counts the UTF-8 bytes of a three-byte-per-character subject at the bound", () => {
  // 573 × 3 = 1,719 bytes fit; 574 × 3 = 1,722 do not (MAX_SUBJECT_BYTES is 1,721).
  const fits = Math.floor(MAX_SUBJECT_BYTES / 3);
  serializeAssertion({ ...ASSERTION, subject: "東".repeat(fits) });
  invalid(a({ subject: "東".repeat(fits + 1) }), "subject");
  // An astral character is 2 UTF-16 units and 4 UTF-8 bytes.
  invalid(a({ subject: "🌍".repeat(Math.floor(MAX_SUBJECT_BYTES / 4) + 1) }), "subject");
});

Deno.test("serializeAssertion() rejects a subject holding U+0000", () => {
  invalid(a({ subject: "a\0b" }), "subject");
});

Deno.test("serializeAssertion() rejects objects that are not text, finite numbers, booleans or refs", () => {
  invalid(a({ object: Infinity }), "object");
  invalid(a({ object: NaN }), "object");
  invalid(a({ object: null }), "object");
  invalid(a({ object: [1] }), "object");
  invalid(a({ object: { ref: "AB".repeat(32) } }), "object.ref");
  invalid(a({ object: { ref: HASH, extra: 1 } }), "object.extra");
  invalid(a({ object: 10n }), "object");
});

Deno.test("serializeAssertion() accepts an empty text object and stores -0 as 0", () => {
  serializeAssertion({ ...ASSERTION, object: "" });
  assert.deepEqual(
    serializeAssertion({ ...ASSERTION, object: -0 }),
    serializeAssertion({ ...ASSERTION, object: 0 }),
  );
});

Deno.test("serializeAssertion() rejects timestamps that are fractional or unsafe integers", () => {
  invalid(a({ timestamp: 1.5 }), "timestamp");
  invalid(a({ timestamp: -0.5 }), "timestamp");
  invalid(
    a({ timestamp: 2 ** 53 }),
    "timestamp",
    'Invalid assertion: field "timestamp" must be a safe integer number of milliseconds, got 9007199254740992',
  );
  invalid(a({ timestamp: -(2 ** 53) }), "timestamp");
  invalid(a({ timestamp: Infinity }), "timestamp");
});

/** Most milliseconds a JavaScript date lies from 1970 (ECMA-262: 100,000,000 days). */
const MAX_DATE_MS = 8.64e15;

Deno.test("Every time field takes the whole range of JavaScript dates, negative included", () => {
  for (const t of [-MAX_DATE_MS, -1, 0, 1, MAX_DATE_MS]) {
    const date = new Date(t);
    assert.equal(date.getTime(), t, "a JavaScript date holds it");
    for (
      const payload of [
        serializeAssertion({ ...ASSERTION, timestamp: t }),
        serializeVote({ ...VOTE, timestamp: t }),
        serializeEpoch({ ...EPOCH, startTime: t, endTime: MAX_DATE_MS }),
      ]
    ) {
      const record = decodeRecord(payload);
      const value = record.value as { timestamp?: number; startTime?: number };
      assert.equal(value.timestamp ?? value.startTime, t);
    }
  }
  serializeEpoch({ ...EPOCH, startTime: -MAX_DATE_MS, endTime: -MAX_DATE_MS });
  invalid(() => serializeEpoch({ ...EPOCH, startTime: -1, endTime: -2 }), "endTime");
});

Deno.test("A negative time encodes as a CBOR negative integer (major type 1) in shortest form", () => {
  // -1 is 0x20, -25 is 0x38 0x18, -8.64e15 is 0x3b followed by 8.64e15 - 1 as a u64.
  const body = (t: number) => serializeEpoch({ ...EPOCH, startTime: t }).slice(8);
  const tField = (bytes: Uint8Array) => {
    const at = bytes.findIndex((b, i) => b === 0x61 && bytes[i + 1] === 0x74); // "t"
    return Array.from(bytes.slice(at + 2, at + 2 + 9));
  };
  assert.deepEqual(tField(body(-1)).slice(0, 1), [0x20]);
  assert.deepEqual(tField(body(-25)).slice(0, 2), [0x38, 0x18]);
  const big = new DataView(new ArrayBuffer(8));
  big.setBigUint64(0, BigInt(MAX_DATE_MS - 1));
  assert.deepEqual(tField(body(-MAX_DATE_MS)), [0x3b, ...new Uint8Array(big.buffer)]);
});

Deno.test("serializeVote() bounds the voter like a subject: UTF-8 bytes and no U+0000", () => {
  serializeVote({ ...VOTE, voter: "é".repeat(MAX_VOTER_BYTES / 2 - 1) });
  invalid(() => serializeVote({ ...VOTE, voter: "x".repeat(MAX_VOTER_BYTES + 1) }), "voter");
  invalid(
    () => serializeVote({ ...VOTE, voter: "a\0b" }),
    "voter",
    'Invalid vote: field "voter" must not contain U+0000',
  );
});

Deno.test("serializeAssertion() rejects a malformed epoch id", () => {
  invalid(a({ epoch: "" }), "epoch");
  invalid(a({ epoch: "abc" }), "epoch");
  invalid(a({ epoch: "0A" }), "epoch");
  invalid(a({ epoch: "00".repeat(33) }), "epoch");
  serializeAssertion({ ...ASSERTION, epoch: "00".repeat(32) });
});

Deno.test("serializeAssertion() rejects bad tags", () => {
  invalid(a({ tags: "x" }), "tags");
  invalid(a({ tags: [""] }), "tags[0]");
  invalid(a({ tags: ["x", "x"] }), "tags[1]");
  invalid(a({ tags: ["x", "y", 3] }), "tags[2]");
  invalid(a({ tags: ["x", "\ud800"] }), "tags[1]");
  invalid(a({ tags: ["a", "b", "c", "b"] }), "tags[3]");
  invalid(a({ tags: Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}`) }), "tags");
  serializeAssertion({ ...ASSERTION, tags: [] });
});

Deno.test("serializeAssertion() rejects unknown fields", () => {
  invalid(a({ colour: "red" }), "colour");
});

Deno.test("serializeAssertion() rejects a record whose payload would exceed the KV value limit", () => {
  invalid(
    a({ object: "x".repeat(MAX_PAYLOAD_BYTES) }),
    "(payload)",
  );
});

Deno.test("serializeVote() rejects a value outside [-1, 1] and a malformed hash", () => {
  invalid(
    v({ value: 1.01 }),
    "value",
    'Invalid vote: field "value" must be a number in [-1, 1], got 1.01',
  );
  invalid(v({ value: -2 }), "value");
  invalid(v({ assertion: "ab" }), "assertion");
  invalid(v({ assertion: HASH.toUpperCase() }), "assertion");
  invalid(v({ voter: "" }), "voter");
  invalid(v({ reason: "" }), "reason");
});

Deno.test("serializeEpoch() rejects a bad id, a self parent and an end before the start", () => {
  invalid(e({ id: "" }), "id");
  invalid(e({ id: "1" }), "id");
  invalid(e({ name: "" }), "name");
  invalid(e({ parent: "01" }), "parent");
  invalid(e({ startTime: 10, endTime: 9 }), "endTime");
  serializeEpoch({ ...EPOCH, startTime: 10, endTime: 10 });
});

Deno.test("serializeRecord() rejects an unknown type and a non-object", () => {
  invalid(() => serializeRecord({ type: "note", value: {} } as never), "type");
  invalid(() => serializeRecord(null as never), "(record)");
  invalid(() => serializeAssertion([] as never), "(record)");
});
