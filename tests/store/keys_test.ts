import assert from "node:assert/strict";
import { fromHex } from "../../src/records/mod.ts";
import { KeyLayout } from "../../src/store/mod.ts";

const H = "ab".repeat(32);
const D = "cd".repeat(32);

Deno.test("KeyLayout builds the same key from a hash as hex and as its 32 bytes", () => {
  const keys = new KeyLayout(["p"]);
  assert.deepEqual(keys.vote(fromHex(H), fromHex(D)), keys.vote(H, D));
  assert.deepEqual(keys.winner(fromHex(H), "ann"), keys.winner(H, "ann"));
  assert.deepEqual(keys.tally(fromHex(H), "u"), keys.tally(H, "u"));
  assert.deepEqual(
    keys.voterHistoryEntry(fromHex(H), fromHex(D), { timestamp: -5, hash: fromHex(D) }),
    keys.voterHistoryEntry(H, D, { timestamp: -5, hash: D }),
  );
});

Deno.test("KeyLayout refuses a hash given as bytes that are not 32 of them", () => {
  const keys = new KeyLayout();
  assert.throws(() => keys.assertion(new Uint8Array(31)), TypeError);
  assert.throws(() => keys.vote(H, new Uint8Array(33)), TypeError);
  assert.throws(() => keys.winner("AB".repeat(32), "ann"), TypeError, "uppercase hex");
});
