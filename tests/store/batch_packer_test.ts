import assert from "node:assert/strict";
import { BatchPacker, packLimits, SAFETY_MARGIN } from "../../src/store/_batch_packer.ts";
import { commitCost } from "../../src/store/commit.ts";
import { type KvSet, KvStore } from "../../src/store/mod.ts";
import { GUARD_SHARDS, MAX_COMMIT_BYTES, MAX_MUTATIONS } from "../../src/store/limits.ts";

function set(keyBytes: number, valueBytes: number): KvSet {
  return { key: ["H", "x"], value: null, keyBytes, bytes: 2 * keyBytes + valueBytes };
}

const open = { mutations: 1e9, bytes: 1e9, keyBytes: 1e9, records: Infinity };

Deno.test("packLimits() leaves room for the cursor, the layout, the consumer, guards and a safety margin", async () => {
  const store = await KvStore.open(":memory:");
  try {
    const limits = packLimits(store.batchBudget("0".repeat(32), { consumer: "ingestor" }));
    assert.equal(
      limits.mutations,
      MAX_MUTATIONS - 3 - GUARD_SHARDS,
      "cursor, layout and consumer sets, and a guard set per shard",
    );
    assert.ok(limits.bytes <= MAX_COMMIT_BYTES * (1 - SAFETY_MARGIN));
    assert.equal(limits.records, Infinity);
  } finally {
    store.close();
  }
});

Deno.test("BatchPacker cuts a batch at the mutation limit without splitting a record", () => {
  const packer = new BatchPacker({ ...open, mutations: 5 });
  const pair = [set(10, 10), set(10, 10)];
  const cost = commitCost(pair);
  assert.equal(packer.tryAddSets(pair, cost, 100), true);
  assert.equal(packer.tryAddSets(pair, cost, 200), true);
  assert.equal(packer.tryAddSets(pair, cost, 300), false, "a fifth and sixth set would split");
  const batch = packer.take()!;
  assert.equal(batch.sets.length, 4);
  assert.equal(batch.applied, 2);
  assert.equal(batch.end, 200);
  assert.equal(packer.take(), null);
});

Deno.test("BatchPacker cuts a batch at the byte and key-byte limits", () => {
  const big = [set(50, 300)];
  const bytes = new BatchPacker({ ...open, bytes: 1000 });
  assert.equal(bytes.tryAddSets(big, commitCost(big), 1), true);
  assert.equal(bytes.tryAddSets(big, commitCost(big), 2), true);
  assert.equal(bytes.tryAddSets(big, commitCost(big), 3), false);
  const keys = new BatchPacker({ ...open, keyBytes: 120 });
  assert.equal(keys.tryAddSets(big, commitCost(big), 1), true);
  assert.equal(keys.tryAddSets(big, commitCost(big), 2), true);
  assert.equal(keys.tryAddSets(big, commitCost(big), 3), false);
});

Deno.test("BatchPacker cuts a batch at the record cap, dead letters included", () => {
  const packer = new BatchPacker({ ...open, records: 2 });
  const one = [set(10, 10)];
  assert.equal(packer.tryAddSets(one, commitCost(one), 1), true);
  const letter = {
    journalId: "0".repeat(32),
    offset: 1,
    reason: "invalid: x",
    payload: new Uint8Array(4),
  };
  assert.equal(packer.tryAddDeadLetter(letter, commitCost([set(60, 100)]), 2), true);
  assert.equal(packer.tryAddSets(one, commitCost(one), 3), false);
  const batch = packer.take()!;
  assert.deepEqual([batch.applied, batch.deadLettered, batch.end], [1, 1, 2]);
  assert.deepEqual(batch.deadLetters, [letter]);
});

Deno.test("BatchPacker reports a record that cannot fit even an empty commit", () => {
  const packer = new BatchPacker(packLimits({ mutations: 998, bytes: 819_000, keyBytes: 81_000 }));
  const huge = Array.from({ length: 13 }, () => set(70, 65_000));
  assert.equal(packer.fitsAlone(commitCost(huge)), false);
  assert.equal(packer.fitsAlone(commitCost(huge.slice(0, 2))), true);
});
