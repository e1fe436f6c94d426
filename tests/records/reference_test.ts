import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Assertion,
  type Epoch,
  fromHex,
  type KnowledgeRecord,
  serializeRecord,
  toHex,
  type Vote,
} from "../../src/records/mod.ts";
import { referenceEncode } from "./_reference_cbor.ts";

/** The body map as docs/FORMAT.md §2.3 specifies it, built independently of src/records. */
function documentedBody(record: KnowledgeRecord): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const put = (key: string, value: unknown) => {
    if (value !== undefined) body[key] = value;
  };
  const bytes = (hex: string | undefined) => (hex === undefined ? undefined : fromHex(hex));
  if (record.type === "assertion") {
    const a: Assertion = record.value;
    put("s", a.subject);
    put("p", a.predicate);
    put("o", typeof a.object === "object" ? fromHex(a.object.ref) : a.object);
    put("src", a.source);
    put("c", a.confidence);
    put("e", bytes(a.epoch));
    put("t", a.timestamp);
    put("tg", a.tags);
  } else if (record.type === "vote") {
    const v: Vote = record.value;
    put("a", fromHex(v.assertion));
    put("by", v.voter);
    put("v", v.value);
    put("e", bytes(v.epoch));
    put("t", v.timestamp);
    put("why", v.reason);
  } else {
    const e: Epoch = record.value;
    put("id", fromHex(e.id));
    put("n", e.name);
    put("d", e.description);
    put("pa", bytes(e.parent));
    put("t", e.startTime);
    put("end", e.endTime);
  }
  return body;
}

const TYPE_CODES = { assertion: 0, vote: 1, epoch: 2 };

function expectedPayload(record: KnowledgeRecord): string {
  return TYPE_CODES[record.type].toString(16).padStart(2, "0") + "00".repeat(7) +
    toHex(referenceEncode(documentedBody(record)));
}

const hex = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map(toHex);
const text = fc.string({ minLength: 1, maxLength: 30, unit: "binary" })
  .filter((s) => s.isWellFormed() && !s.includes("\0"));
const nonZero = (n: number) => (n === 0 ? 0 : n);
const anyNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(nonZero),
  fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
  fc.constantFrom(
    0.5,
    1.5,
    65504,
    65505,
    2 ** -24,
    2 ** -25,
    1e-7,
    3.4e38,
    1e39,
    2 ** 32,
    2 ** 53 - 1,
  ),
);
// Times are any safe integer: negative ones (before 1970) are CBOR major type 1,
// with the same head boundaries shifted by one (-1 - n).
const time = fc.oneof(
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32),
  fc.constantFrom(-1, -24, -25, -256, -257, -65536, -65537, -(2 ** 32), -(2 ** 32) - 1),
  fc.constant(Number.MIN_SAFE_INTEGER),
);

const record: fc.Arbitrary<KnowledgeRecord> = fc.oneof(
  fc.record({
    subject: text,
    predicate: text,
    object: fc.oneof(text, anyNumber, fc.boolean(), hex(32, 32).map((ref) => ({ ref }))),
    source: text,
    confidence: fc.double({ min: 0, max: 1, noNaN: true }).map(nonZero),
    epoch: hex(1, 32),
    timestamp: time,
    tags: fc.uniqueArray(text, { maxLength: 30 }),
  }, { requiredKeys: ["subject", "predicate", "object", "source", "confidence", "timestamp"] })
    .map((value) => ({ type: "assertion" as const, value })),
  fc.record({
    assertion: hex(32, 32),
    voter: text,
    value: fc.oneof(
      fc.double({ min: -1, max: 1, noNaN: true }).map(nonZero),
      fc.constantFrom(-1, -0.5, 0, 1),
    ),
    epoch: hex(1, 32),
    timestamp: time,
    reason: text,
  }, { requiredKeys: ["assertion", "voter", "value", "timestamp"] })
    .map((value) => ({ type: "vote" as const, value })),
  fc.record({
    id: hex(1, 32),
    name: text,
    description: fc.string({ maxLength: 300 }).filter((s) => s.isWellFormed()),
    parent: hex(1, 32),
    startTime: time,
  }, { requiredKeys: ["id", "name", "description", "startTime"] })
    .filter((e) => e.parent !== e.id)
    .map((value) => ({ type: "epoch" as const, value })),
);

Deno.test("serializeRecord() matches an independent deterministic CBOR encoder of the documented map", () => {
  fc.assert(
    fc.property(record, (r) => {
      assert.equal(toHex(serializeRecord(r)), expectedPayload(r));
    }),
    { numRuns: 1000 },
  );
});

Deno.test("the reference encoder itself agrees with RFC 8949 Appendix A examples", () => {
  const cases: [unknown, string][] = [
    [0, "00"],
    [23, "17"],
    [24, "1818"],
    [1000, "1903e8"],
    [1000000, "1a000f4240"],
    [1000000000000, "1b000000e8d4a51000"],
    [-1, "20"],
    [-1000, "3903e7"],
    [1.5, "f93e00"],
    [65504, "19ffe0"], // an integer in JS, so not the appendix's float 65504.0
    [-65504.5, "fac77fe080"],
    [100000.5, "fa47c35040"],
    [3.4028234663852886e38, "fa7f7fffff"],
    [1.0e300, "fb7e37e43c8800759c"],
    [5.960464477539063e-8, "f90001"],
    [-4.1, "fbc010666666666666"],
    [true, "f5"],
    ["IETF", "6449455446"],
    [new Uint8Array([1, 2, 3, 4]), "4401020304"],
    [[1, [2, 3]], "8201820203"],
    [{ a: 1, b: [2, 3] }, "a26161016162820203"],
  ];
  for (const [value, expected] of cases) assert.equal(toHex(referenceEncode(value)), expected);
});
