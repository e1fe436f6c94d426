import assert from "node:assert/strict";
import {
  decodeRecord,
  MAX_PAYLOAD_BYTES,
  PAYLOAD_HEADER_SIZE,
  RecordDecodeError,
  type RecordDecodeErrorKind,
  serializeEpoch,
} from "../../src/records/mod.ts";

const EPOCH = serializeEpoch({ id: "01", name: "e", description: "", startTime: 0 });

function kindOf(bytes: Uint8Array): RecordDecodeErrorKind {
  try {
    decodeRecord(bytes);
  } catch (e) {
    if (e instanceof RecordDecodeError) return e.kind;
    throw e;
  }
  throw new Error("expected a RecordDecodeError");
}

Deno.test('decodeRecord() rejects every unknown type byte with kind "unknown-type"', () => {
  for (let type = 3; type < 256; type++) {
    const bytes = EPOCH.slice();
    bytes[0] = type;
    assert.equal(kindOf(bytes), "unknown-type", `type ${type}`);
  }
});

Deno.test('decodeRecord() gives every other rejection kind "undecodable"', () => {
  const reserved = EPOCH.slice();
  reserved[3] = 1;
  const miscounted = EPOCH.slice();
  miscounted[PAYLOAD_HEADER_SIZE] = 0xa5; // map(5) with four entries: malformed
  const cases: [string, Uint8Array][] = [
    ["too short", EPOCH.subarray(0, PAYLOAD_HEADER_SIZE)],
    ["too large", new Uint8Array(MAX_PAYLOAD_BYTES + 1)],
    ["reserved byte", reserved],
    ["malformed body", miscounted],
    ["truncated body", EPOCH.subarray(0, EPOCH.length - 1)],
  ];
  for (const [name, bytes] of cases) assert.equal(kindOf(bytes), "undecodable", name);
});

Deno.test('RecordDecodeError defaults to kind "undecodable" and keeps its cause', () => {
  const cause = new Error("inner");
  const e = new RecordDecodeError("x", { cause });
  assert.equal(e.kind, "undecodable");
  assert.equal(e.cause, cause);
  assert.equal(e.message, "Cannot decode record: x");
  const typed = new RecordDecodeError("unknown record type 7", { kind: "unknown-type" });
  assert.equal(typed.kind, "unknown-type");
  assert.equal("cause" in typed, false);
});
