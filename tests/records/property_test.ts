import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Assertion,
  decodeRecord,
  type Epoch,
  type KnowledgeRecord,
  RecordDecodeError,
  RecordValidationError,
  serializeRecord,
  toHex,
  type Vote,
} from "../../src/records/mod.ts";

const hex = (minBytes: number, maxBytes: number) =>
  fc.uint8Array({ minLength: minBytes, maxLength: maxBytes }).map(toHex);
const hash = hex(32, 32);
const text = fc.string({ minLength: 1, maxLength: 20, unit: "grapheme" });
const time = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
// -0 is normalised to 0, so generate without it to compare decode(serialize(x)) with x.
const noNegZero = (n: number) => (n === 0 ? 0 : n);

const assertion: fc.Arbitrary<Assertion> = fc.record({
  subject: text.filter((s) => !s.includes("\0")),
  predicate: text,
  object: fc.oneof(
    fc.string({ maxLength: 20, unit: "grapheme" }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(noNegZero),
    fc.integer(),
    fc.boolean(),
    hash.map((ref) => ({ ref })),
  ),
  source: text,
  confidence: fc.double({ min: 0, max: 1, noNaN: true }).map(noNegZero),
  epoch: hex(1, 32),
  timestamp: time,
  tags: fc.uniqueArray(text, { maxLength: 5 }),
}, {
  requiredKeys: ["subject", "predicate", "object", "source", "confidence", "timestamp"],
  noNullPrototype: true,
});

const vote: fc.Arbitrary<Vote> = fc.record({
  assertion: hash,
  voter: text,
  value: fc.double({ min: -1, max: 1, noNaN: true }).map(noNegZero),
  epoch: hex(1, 32),
  timestamp: time,
  reason: text,
}, { requiredKeys: ["assertion", "voter", "value", "timestamp"], noNullPrototype: true });

const epoch: fc.Arbitrary<Epoch> = fc.record({
  id: hex(1, 32),
  name: text,
  description: fc.string({ maxLength: 40 }),
  parent: hex(1, 32),
  startTime: time,
}, { requiredKeys: ["id", "name", "description", "startTime"], noNullPrototype: true })
  .filter((e) => e.parent !== e.id);

const record: fc.Arbitrary<KnowledgeRecord> = fc.oneof(
  assertion.map((value) => ({ type: "assertion" as const, value })),
  vote.map((value) => ({ type: "vote" as const, value })),
  epoch.map((value) => ({ type: "epoch" as const, value })),
);

/** Same own properties, inserted in a shuffled order. */
function reorder<T extends object>(value: T, order: number[]): T {
  const entries = Object.entries(value);
  const shuffled = entries.map((entry, i) => ({ entry, k: order[i % order.length] ?? 0, i }))
    .sort((x, y) => x.k - y.k || y.i - x.i)
    .map(({ entry }) => entry);
  return Object.fromEntries(shuffled) as T;
}

Deno.test("serializeRecord() gives equal bytes whatever the order of fields", () => {
  fc.assert(
    fc.property(record, fc.array(fc.nat(100), { minLength: 1, maxLength: 10 }), (r, order) => {
      const shuffled = { type: r.type, value: reorder(r.value, order) } as KnowledgeRecord;
      assert.deepEqual(serializeRecord(shuffled), serializeRecord(r));
    }),
    { numRuns: 300 },
  );
});

Deno.test("serializeRecord() gives equal bytes for equal values built separately", () => {
  fc.assert(
    fc.property(record, (r) => {
      const copy = structuredClone(r);
      assert.deepEqual(serializeRecord(copy), serializeRecord(r));
    }),
    { numRuns: 200 },
  );
});

Deno.test("decodeRecord() inverts serializeRecord()", () => {
  fc.assert(
    fc.property(record, (r) => {
      assert.deepEqual(decodeRecord(serializeRecord(r)), r);
    }),
    { numRuns: 500 },
  );
});

function decodeOnlyFailsCleanly(bytes: Uint8Array) {
  try {
    decodeRecord(bytes);
  } catch (e) {
    if (!(e instanceof RecordDecodeError || e instanceof RecordValidationError)) throw e;
  }
}

Deno.test("decodeRecord() fails on random bytes only with record errors", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), decodeOnlyFailsCleanly),
    { numRuns: 2000 },
  );
});

Deno.test("decodeRecord() fails on mutated valid payloads only with record errors", () => {
  fc.assert(
    fc.property(
      record,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      (r, edits) => {
        const bytes = serializeRecord(r);
        for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
        decodeOnlyFailsCleanly(bytes);
        decodeOnlyFailsCleanly(bytes.subarray(0, edits[0][0] % bytes.length));
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("decodeRecord() accepts a mutated payload only if it re-encodes identically", () => {
  fc.assert(
    fc.property(record, fc.nat(), fc.integer({ min: 0, max: 255 }), (r, at, byte) => {
      const bytes = serializeRecord(r);
      bytes[at % bytes.length] = byte;
      let decoded: KnowledgeRecord;
      try {
        decoded = decodeRecord(bytes);
      } catch {
        return;
      }
      assert.deepEqual(serializeRecord(decoded), bytes);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("decodeRecord() fails on random bodies behind a valid header only with record errors", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 }), fc.uint8Array({ maxLength: 200 }), (type, body) => {
      const bytes = new Uint8Array(8 + body.length);
      bytes[0] = type;
      bytes.set(body, 8);
      decodeOnlyFailsCleanly(bytes);
    }),
    { numRuns: 2000 },
  );
});
