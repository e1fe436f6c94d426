import assert from "node:assert/strict";
import { type Applied, carryOver, type ResolveState } from "../../src/store/resolve.ts";

const WINNER = { time: 5, hash: "ab".repeat(32), value: 1 };
const OTHER = { time: 1, hash: "cd".repeat(32), value: -1 };

function state(guard: string | null): ResolveState {
  return {
    guards: new Map([[0, guard], [1, "g1"]]),
    current: new Map([["k", OTHER], ["untouched", null]]),
  };
}

const applied: Applied = {
  versionstamp: "v-after",
  guards: new Map([[0, "g-before"]]),
  writes: new Map([["k", WINNER], ["not-read", WINNER]]),
};

Deno.test("carryOver() lays the commit's writes over a state read before it landed", () => {
  const next = carryOver(state("g-before"), applied)!;
  assert.equal(next.guards.get(0), "v-after", "check the guard as that commit left it");
  assert.equal(next.guards.get(1), "g1", "a shard it did not change keeps its read");
  assert.deepEqual(next.current.get("k"), WINNER);
  assert.equal(next.current.get("untouched"), null);
  assert.equal(next.current.has("not-read"), false, "only keys the next commit needs");
});

Deno.test("carryOver() keeps a state read after the commit landed", () => {
  const next = carryOver(state("v-after"), applied)!;
  assert.equal(next.guards.get(0), "v-after");
  assert.deepEqual(next.current.get("k"), WINNER);
});

Deno.test("carryOver() gives up when another writer changed the shard in between", () => {
  assert.equal(carryOver(state("g-someone-else"), applied), null);
  assert.equal(carryOver(state(null), applied), null);
});
