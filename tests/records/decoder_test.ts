import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeRecord,
  fromHex,
  type KnowledgeRecord,
  PAYLOAD_HEADER_SIZE,
  RECORD_TYPE,
  RecordDecodeError,
  type RecordType,
  RecordValidationError,
  serializeRecord,
} from "../../src/records/mod.ts";
import { referenceDecodeBody } from "../../src/records/reference_codec.ts";
import { anyRecord } from "./_arbitrary.ts";

const TYPES: RecordType[] = ["assertion", "vote", "epoch"];

/** What a decoder made of a payload: the record, or the class of its error. */
function outcome(decode: () => KnowledgeRecord): string {
  try {
    return `accepted ${JSON.stringify(decode())}`;
  } catch (e) {
    if (e instanceof RecordDecodeError) return "RecordDecodeError";
    if (e instanceof RecordValidationError) return `RecordValidationError(${e.field})`;
    throw e;
  }
}

// cborg decodes text with a default TextDecoder, which drops a leading U+FEFF
// (EF BB BF), so the reference refuses such text as non-canonical; the strict
// decoder keeps it (see the U+FEFF test below). Bodies holding those bytes are
// left out of the comparison.
function holdsBom(bytes: Uint8Array): boolean {
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] === 0xef && bytes[i + 1] === 0xbb && bytes[i + 2] === 0xbf) return true;
  }
  return false;
}

function assertAgrees(bytes: Uint8Array) {
  fc.pre(!holdsBom(bytes) && bytes.length > PAYLOAD_HEADER_SIZE);
  const type = TYPES[bytes[0]];
  assert.equal(
    outcome(() => decodeRecord(bytes)),
    outcome(() => referenceDecodeBody(type, bytes)),
  );
}

const edit = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }));

/** A body mutation: overwrite, insert or delete bytes, or cut the tail. */
function mutate(payload: Uint8Array, kind: number, edits: [number, number][]): Uint8Array {
  let bytes = Array.from(payload);
  for (const [at, byte] of edits) {
    const i = PAYLOAD_HEADER_SIZE + (at % (bytes.length - PAYLOAD_HEADER_SIZE + 1));
    if (kind === 0) bytes[Math.min(i, bytes.length - 1)] = byte;
    else if (kind === 1) bytes.splice(i, 0, byte);
    else if (kind === 2) bytes.splice(Math.min(i, bytes.length - 1), 1);
    else bytes = bytes.slice(0, Math.max(PAYLOAD_HEADER_SIZE + 1, i));
  }
  return Uint8Array.from(bytes);
}

Deno.test("decodeRecord() agrees with the cborg reference on every valid record", () => {
  fc.assert(
    fc.property(anyRecord, (r) => {
      const payload = serializeRecord(r);
      assertAgrees(payload);
      assert.deepEqual(decodeRecord(payload), r);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("decodeRecord() and the cborg reference accept and reject the same mutated payloads, with the same error classes", () => {
  fc.assert(
    fc.property(
      anyRecord,
      fc.integer({ min: 0, max: 3 }),
      fc.array(edit, { minLength: 1, maxLength: 3 }),
      (r, kind, edits) => assertAgrees(mutate(serializeRecord(r), kind, edits)),
    ),
    { numRuns: 5000 },
  );
});

Deno.test("decodeRecord() and the cborg reference agree on random bodies behind a valid header", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 }),
      fc.uint8Array({ minLength: 1, maxLength: 120 }),
      (t, body) => {
        const bytes = new Uint8Array(PAYLOAD_HEADER_SIZE + body.length);
        bytes[0] = t;
        bytes.set(body, PAYLOAD_HEADER_SIZE);
        assertAgrees(bytes);
      },
    ),
    { numRuns: 3000 },
  );
});

/** Header for `type` followed by `bodyHex`. */
function payload(type: number, bodyHex: string): Uint8Array {
  const body = fromHex(bodyHex);
  const out = new Uint8Array(PAYLOAD_HEADER_SIZE + body.length);
  out[0] = type;
  out.set(body, PAYLOAD_HEADER_SIZE);
  return out;
}

// {"d": "", "n": "e", "t": 0, "id": h'01'} with "d" holding `description` hex.
const epochWith = (description: string) =>
  payload(RECORD_TYPE.epoch, `a46164${description}616e61656174006269644101`);

Deno.test("decodeRecord() round-trips text that starts with U+FEFF", () => {
  const record = {
    type: "epoch" as const,
    value: { id: "01", name: "\uFEFFname", description: "\uFEFF", startTime: 0 },
  };
  assert.deepEqual(decodeRecord(serializeRecord(record)), record);
});

Deno.test("decodeRecord() rejects text that is not valid UTF-8", () => {
  for (const bad of ["61ff", "62c328", "63e28228", "61c0", "63f0908d", "63eda080"]) {
    assert.throws(() => decodeRecord(epochWith(bad)), (e: unknown) => {
      assert.ok(e instanceof RecordDecodeError);
      assert.match(e.reason, /not valid UTF-8/);
      return true;
    }, bad);
  }
  // U+FFFD itself is valid text.
  assert.equal(decodeRecord(epochWith("63efbfbd")).type, "epoch");
});

Deno.test("decodeRecord() reports a schema violation before non-canonical form", () => {
  // Keys out of order ("id" first) and the name empty: the name is what the caller must fix.
  const body = "a4" + "6269644101" + "616460" + "616e60" + "617400";
  assert.throws(
    () => decodeRecord(payload(RECORD_TYPE.epoch, body)),
    (e: unknown) => e instanceof RecordValidationError && e.field === "name",
  );
});

Deno.test("decodeRecord() tells a well-formed non-text tag (schema) from a malformed one (CBOR)", () => {
  // An assertion with tags [1] and with tags [<CBOR tag 1>(0)].
  const assertion = (tags: string) =>
    payload(
      RECORD_TYPE.assertion,
      "a7" + "616301" + "616f6161" + "61706170" + "61736173" + "617400" + "6274678" + tags +
        "637372636161",
    );
  assert.throws(
    () => decodeRecord(assertion("101")),
    (e: unknown) => e instanceof RecordValidationError && e.field === "tags[0]",
  );
  assert.throws(() => decodeRecord(assertion("1c100")), RecordDecodeError);
  assert.deepEqual(decodeRecord(assertion("16161")).value, {
    subject: "s",
    predicate: "p",
    object: "a",
    source: "a",
    confidence: 1,
    timestamp: 0,
    tags: ["a"],
  });
});

Deno.test("decodeRecord() names the byte where the CBOR goes wrong", () => {
  assert.throws(() => decodeRecord(epochWith("7800")), (e: unknown) => {
    assert.ok(e instanceof RecordDecodeError);
    assert.match(e.reason, /more bytes than necessary at payload byte 11/);
    return true;
  });
});
