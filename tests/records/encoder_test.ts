import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type KnowledgeRecord,
  MAX_PAYLOAD_BYTES,
  RecordValidationError,
  serializeAssertion,
  serializeRecord,
  toHex,
} from "../../src/records/mod.ts";
import { referenceEncode } from "../../src/records/reference_codec.ts";
import { validateRecord } from "../../src/records/validate.ts";
import { anyRecord } from "./_arbitrary.ts";

/** cborg's RFC 8949 encoding of the record's body map, behind the payload header. */
function cborgPayload(record: KnowledgeRecord): string {
  return toHex(referenceEncode(validateRecord(record)));
}

Deno.test("serializeRecord() gives cborg's RFC 8949 bytes for any valid record", () => {
  fc.assert(
    fc.property(anyRecord, (r) => {
      assert.equal(toHex(serializeRecord(r)), cborgPayload(r));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("serializeAssertion() writes text heads in shortest form around every length boundary", () => {
  // Multi-byte text makes the encoder reserve a longer head than it needs and move the bytes back.
  for (const unit of ["a", "é", "東", "🌍"]) {
    for (const bytes of [0, 1, 23, 24, 25, 255, 256, 257, 4_000, 20_000, 65_000]) {
      const repeat = Math.max(1, Math.floor(bytes / new TextEncoder().encode(unit).length));
      const object = unit.repeat(repeat);
      const record = {
        type: "assertion" as const,
        value: { subject: "s", predicate: "p", object, source: "x", confidence: 1, timestamp: 0 },
      };
      if (new TextEncoder().encode(object).length + 40 > MAX_PAYLOAD_BYTES) continue;
      assert.equal(toHex(serializeRecord(record)), cborgPayload(record), `${unit} × ${repeat}`);
    }
  }
});

Deno.test("serializeAssertion() refuses a payload over the KV value limit with its exact size, then encodes the next record", () => {
  const value = {
    subject: "s",
    predicate: "p",
    object: "é".repeat(40_000),
    source: "x",
    confidence: 1,
    timestamp: 0,
  };
  assert.throws(() => serializeAssertion(value), (e: unknown) => {
    assert.ok(e instanceof RecordValidationError);
    assert.equal(e.field, "(payload)");
    const expected = referenceEncode(validateRecord({ type: "assertion", value })).length;
    assert.ok(expected > MAX_PAYLOAD_BYTES);
    assert.match(e.reason, new RegExp(`got ${expected}$`));
    return true;
  });
  const small = { ...value, object: "sun" };
  assert.equal(
    toHex(serializeAssertion(small)),
    cborgPayload({ type: "assertion", value: small }),
  );
});

Deno.test("serializeRecord() returns a fresh array each call, not a view of a shared buffer", () => {
  const r = {
    type: "epoch" as const,
    value: { id: "01", name: "e", description: "", startTime: 0 },
  };
  const a = serializeRecord(r);
  const b = serializeRecord(r);
  assert.notEqual(a.buffer, b.buffer);
  assert.equal(a.byteOffset, 0);
  assert.equal(a.buffer.byteLength, a.length);
});
