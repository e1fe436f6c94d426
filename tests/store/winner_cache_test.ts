import assert from "node:assert/strict";
import { KvStore } from "../../src/store/mod.ts";
import { WinnerCache } from "../../src/store/_winner_cache.ts";
import { keyId, shardOf } from "../../src/store/resolve.ts";
import type { Resolvable } from "../../src/store/consensus_types.ts";
import { withKvBackend } from "../support/kv_connect/mod.ts";
import { type Digested, ingest, votePayload, withStore } from "./_helpers.ts";

const J1 = "1".repeat(32);
const J2 = "2".repeat(32);
const A = "ab".repeat(32);

function resolvable(store: KvStore, vote: Digested): Resolvable {
  const plan = store.recordMutations(vote.payload, vote.digest);
  if (!plan.ok || plan.resolve === undefined) throw new Error("Expected a vote");
  return plan.resolve;
}

Deno.test("Ingest into a fresh store reads no winner, however many commits (remote KV)", async () => {
  await withKvBackend("remote", async ({ target, server }) => {
    const store = await KvStore.open(target);
    try {
      // Every voter votes twice, in two commits: the second vote must know the first.
      const votes = await Promise.all(
        Array.from(
          { length: 40 },
          (_, i) => votePayload(A, { voter: `v${i % 20}`, value: i < 20 ? 1 : -1, timestamp: i }),
        ),
      );
      const before = server!.stats.requests.snapshot_read;
      await ingest(store, votes, { maxRecords: 4 });
      // The cursor, then once for the store: the guards, and whether any winner or epoch exists.
      assert.equal(server!.stats.requests.snapshot_read - before, 4);
      assert.deepEqual(await store.tally(A), {
        count: 20,
        voters: 20,
        sum: -20,
        mean: -1,
        up: 0,
        down: 20,
        neutral: 0,
      });
    } finally {
      store.close();
    }
  });
});

Deno.test("A cached winner another writer replaced is read again: the tally stays exact", async () => {
  await withStore(async (store, path) => {
    // A second store on the same KV keeps its own cache: to this one, its commits are foreign.
    const other = await KvStore.open(path);
    try {
      await ingest(store, [await votePayload(A, { voter: "ann", value: 1, timestamp: 1 })], {
        journalId: J1,
      });
      await ingest(other, [await votePayload(A, { voter: "ann", value: -1, timestamp: 2 })], {
        journalId: J2,
      });
      // The cache still holds ann's first vote; counting it out instead of the second would
      // leave up at -1 and down at 1.
      await ingest(store, [await votePayload(A, { voter: "ann", value: 0, timestamp: 3 })], {
        journalId: J1,
      });
      assert.deepEqual(await store.tally(A), {
        count: 1,
        voters: 1,
        sum: 0,
        mean: 0,
        up: 0,
        down: 0,
        neutral: 1,
      });
    } finally {
      other.close();
    }
  });
});

Deno.test("A winner another writer stored in a shard the cache knew empty is counted once", async () => {
  await withStore(async (store, path) => {
    const other = await KvStore.open(path);
    try {
      // The cache learns the store empty, so it takes a missing winner for an absent one.
      await ingest(store, [await votePayload(A, { voter: "ann", value: 1, timestamp: 1 })], {
        journalId: J1,
      });
      await ingest(other, [await votePayload(A, { voter: "bob", value: 1, timestamp: 1 })], {
        journalId: J2,
      });
      await ingest(store, [await votePayload(A, { voter: "bob", value: -1, timestamp: 2 })], {
        journalId: J1,
      });
      const tally = await store.tally(A);
      assert.deepEqual([tally.count, tally.up, tally.down], [2, 1, 1]);
    } finally {
      other.close();
    }
  });
});

Deno.test("WinnerCache reads a winner it evicted instead of taking it for absent", async () => {
  await withStore(async (store) => {
    const cache = new WinnerCache(1);
    const ann = resolvable(store, await votePayload(A, { voter: "ann", timestamp: 1 }));
    const bob = resolvable(store, await votePayload(A, { voter: "bob", timestamp: 1 }));
    const shard = shardOf(ann);
    const first = await cache.readState(store.kv, store.keys, [ann, bob]);
    assert.equal(first.current.get(keyId(ann)), null, "a fresh store holds no winner");
    // As a commit would: store both winners, then lay them over the cache.
    const winner = (r: Resolvable) => ({ time: r.time, hash: r.hash, value: 1 });
    const commit = await store.kv.atomic()
      .set(ann.set.key, ann.set.value)
      .set(bob.set.key, bob.set.value)
      .set(store.keys.guard(shard), 0)
      .commit();
    assert.ok(commit.ok);
    cache.applied({
      versionstamp: commit.versionstamp,
      guards: new Map([[shard, first.guards.get(shard)!]]),
      writes: new Map([[keyId(ann), winner(ann)], [keyId(bob), winner(bob)]]),
    });
    assert.equal(cache.size, 1, "ann was evicted");
    const next = await cache.readState(store.kv, store.keys, [ann]);
    assert.equal(next.guards.get(shard), commit.versionstamp);
    assert.deepEqual(next.current.get(keyId(ann)), winner(ann));
  });
});

Deno.test("WinnerCache forgets a dropped shard and reads its guard again", async () => {
  await withStore(async (store) => {
    const cache = new WinnerCache();
    const ann = resolvable(store, await votePayload(A, { voter: "ann", timestamp: 1 }));
    const shard = shardOf(ann);
    assert.equal((await cache.readState(store.kv, store.keys, [ann])).guards.get(shard), null);
    const moved = await store.kv.set(store.keys.guard(shard), 0);
    // Unseen: the cache answers what it knew, which a commit's guard check would refuse.
    assert.equal((await cache.readState(store.kv, store.keys, [ann])).guards.get(shard), null);
    cache.drop([shard]);
    const again = await cache.readState(store.kv, store.keys, [ann]);
    assert.equal(again.guards.get(shard), moved.versionstamp);
  });
});
