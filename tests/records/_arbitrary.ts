// fast-check arbitraries of valid records that reach every encoding the codec
// has: text of any Unicode (including U+FEFF and astral characters) and of
// lengths across the CBOR head boundaries, integers and floats of every
// width, references, tags, optional fields present and absent.

import fc from "fast-check";
import type { KnowledgeRecord } from "../../src/records/mod.ts";
import { toHex } from "../../src/records/mod.ts";

const hex = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map(toHex);
const shortText = fc.string({ minLength: 1, maxLength: 30, unit: "binary" })
  .filter((s) => s.isWellFormed() && !s.includes("\0"));
const longText = fc.string({ minLength: 20, maxLength: 300, unit: "grapheme" })
  .filter((s) => !s.includes("\0"));
const text = fc.oneof({ weight: 4, arbitrary: shortText }, { weight: 1, arbitrary: longText });
const nonZero = (n: number) => (n === 0 ? 0 : n);
const anyNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(nonZero),
  fc.float({ noNaN: true, noDefaultInfinity: true }).map((f) => nonZero(f)),
  fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
  fc.constantFrom(
    0.5,
    1.5,
    65504,
    65505,
    2 ** -24,
    2 ** -25,
    2 ** -14,
    1e-7,
    3.4e38,
    1e39,
    2 ** 53,
    -(2 ** 60),
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
const unit = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }).map(nonZero),
  fc.constantFrom(0, 0.25, 0.5, 0.75, 0.9, 1),
);

/** Any valid record. */
export const anyRecord: fc.Arbitrary<KnowledgeRecord> = fc.oneof(
  fc.record({
    subject: text,
    predicate: text,
    object: fc.oneof(
      text,
      fc.constant(""),
      anyNumber,
      fc.boolean(),
      hex(32, 32).map((ref) => ({ ref })),
    ),
    source: text,
    confidence: unit,
    epoch: hex(1, 32),
    timestamp: time,
    tags: fc.uniqueArray(shortText, { maxLength: 30 }),
  }, {
    requiredKeys: ["subject", "predicate", "object", "source", "confidence", "timestamp"],
    noNullPrototype: true,
  })
    .map((value) => ({ type: "assertion" as const, value })),
  fc.record({
    assertion: hex(32, 32),
    voter: text,
    value: fc.oneof(unit, unit.map((u) => nonZero(-u))),
    epoch: hex(1, 32),
    timestamp: time,
    reason: text,
  }, { requiredKeys: ["assertion", "voter", "value", "timestamp"], noNullPrototype: true })
    .map((value) => ({ type: "vote" as const, value })),
  fc.record({
    id: hex(1, 32),
    name: text,
    description: fc.oneof(fc.constant(""), text),
    parent: hex(1, 32),
    startTime: time,
  }, { requiredKeys: ["id", "name", "description", "startTime"], noNullPrototype: true })
    .filter((e) => e.parent !== e.id)
    .map((value) => ({ type: "epoch" as const, value })),
);
