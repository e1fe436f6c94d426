import assert from "node:assert/strict";
import { PayloadSpool } from "../../src/cli/_payload_spool.ts";

function bytes(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

Deno.test("PayloadSpool gives back every payload in input order, in batches of the sizes asked", () => {
  const spool = new PayloadSpool(1024);
  for (let i = 0; i < 10; i++) {
    const held = spool.add(bytes(i + 1, i), { number: 2 * i + 1, bytesRead: 100 * i });
    assert.deepEqual(held, bytes(i + 1, i));
  }
  spool.offered(25);
  assert.equal(spool.full, false);
  assert.equal(spool.throughLine, 25);
  const batches = [...spool.batches({ maxRecords: 4, maxBytes: 1024 })];
  assert.deepEqual(batches.map((b) => b.payloads.length), [4, 4, 2]);
  assert.deepEqual(batches.flatMap((b) => b.lines), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
  assert.deepEqual(batches.map((b) => b.bytesRead), [300, 700, 900]);
  assert.deepEqual(batches.map((b) => b.bytes), [10, 26, 19]);
  const payloads = batches.flatMap((b) => b.payloads);
  payloads.forEach((p, i) => assert.deepEqual(p, bytes(i + 1, i)));
});

Deno.test("PayloadSpool ends a batch once it reaches maxBytes", () => {
  const spool = new PayloadSpool(1024);
  for (let i = 0; i < 6; i++) spool.add(bytes(10, i), { number: i + 1, bytesRead: i });
  const batches = [...spool.batches({ maxRecords: 100, maxBytes: 25 })];
  assert.deepEqual(batches.map((b) => b.payloads.length), [3, 3]);
});

Deno.test("PayloadSpool stops at its budget and holds every payload before the line that passed it", () => {
  const spool = new PayloadSpool(25);
  assert.deepEqual(spool.add(bytes(10, 1), { number: 1, bytesRead: 11 }), bytes(10, 1));
  assert.deepEqual(spool.add(bytes(10, 2), { number: 3, bytesRead: 30 }), bytes(10, 2));
  assert.equal(spool.add(bytes(10, 3), { number: 4, bytesRead: 41 }), null);
  assert.equal(spool.full, true);
  assert.equal(spool.throughLine, 3);
  // Nothing more is held once full, not even a payload that would fit.
  assert.equal(spool.add(bytes(1, 4), { number: 5, bytesRead: 43 }), null);
  spool.offered(9);
  assert.equal(spool.throughLine, 3);
  const batches = [...spool.batches({ maxRecords: 10, maxBytes: 1024 })];
  assert.deepEqual(batches.flatMap((b) => b.lines), [1, 3]);
});

Deno.test("PayloadSpool holds a payload larger than its chunk size whole", () => {
  const big = bytes(5 * 1024 * 1024, 7);
  const spool = new PayloadSpool(16 * 1024 * 1024);
  spool.add(bytes(3, 1), { number: 1, bytesRead: 4 });
  spool.add(big, { number: 2, bytesRead: 4 + big.length + 1 });
  spool.add(bytes(3, 2), { number: 3, bytesRead: 9 + big.length });
  const [batch] = [...spool.batches({ maxRecords: 10, maxBytes: 64 * 1024 * 1024 })];
  assert.deepEqual(batch.payloads.map((p) => p.length), [3, big.length, 3]);
  assert.deepEqual(batch.payloads[1], big);
  assert.deepEqual(batch.payloads[2], bytes(3, 2));
});

Deno.test("PayloadSpool holds a copy: the caller may reuse the array it added", () => {
  const spool = new PayloadSpool(1024);
  const reused = bytes(4, 1);
  const held = spool.add(reused, { number: 1, bytesRead: 5 });
  reused.fill(9);
  assert.deepEqual(held, bytes(4, 1));
  const [batch] = [...spool.batches({ maxRecords: 10, maxBytes: 1024 })];
  assert.deepEqual(batch.payloads, [bytes(4, 1)]);
});
