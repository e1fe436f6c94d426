import assert from "node:assert/strict";
import { parseRecordLine, serializeEpoch } from "../../src/records/mod.ts";

const epoch = (name: string) =>
  JSON.stringify({ type: "epoch", id: "0a", name, description: "", startTime: 0 });

Deno.test("parseRecordLine() gives each payload its own array by default", () => {
  const first = parseRecordLine(epoch("first"));
  const second = parseRecordLine(epoch("second"));
  if (!first.ok || !second.ok) throw new Error("expected both lines to parse");
  assert.notEqual(first.payload.buffer, second.payload.buffer);
  assert.deepEqual(first.payload, serializeEpoch(first.record.value as never));
  assert.equal(first.payload.byteOffset, 0);
  assert.equal(first.payload.buffer.byteLength, first.payload.byteLength);
});

Deno.test("parseRecordLine({ borrow: true }) returns the same bytes as a view the next encode reuses", () => {
  const copy = parseRecordLine(epoch("first"));
  const borrowed = parseRecordLine(epoch("first"), { borrow: true });
  if (!copy.ok || !borrowed.ok) throw new Error("expected both lines to parse");
  assert.deepEqual(borrowed.payload, copy.payload);
  const held = borrowed.payload.slice();
  const next = parseRecordLine(epoch("other"), { borrow: true });
  if (!next.ok) throw new Error(next.reason);
  assert.equal(next.payload.buffer, borrowed.payload.buffer);
  assert.notDeepEqual(borrowed.payload, held);
  assert.deepEqual(held, copy.payload);
});
