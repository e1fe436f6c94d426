import assert from "node:assert/strict";
import { CommitBuilder, KvStore } from "../../src/store/mod.ts";
import { WinnerCache } from "../../src/store/_winner_cache.ts";
import { TALLY_PART, WINNER_PART } from "../../src/store/keys.ts";
import { keyId, shardOf } from "../../src/store/resolve.ts";
import type { Resolvable } from "../../src/store/consensus_types.ts";
import { withKvBackend } from "../support/kv_connect/mod.ts";
import { type HeldReads, holdReads } from "../support/kv_intercept.ts";
import { type Digested, ingest, votePayload, withStore } from "./_helpers.ts";

const J1 = "1".repeat(32);
const J2 = "2".repeat(32);
const A = "ab".repeat(32);
/** In `A`'s guard shard (same first byte): a winner on it leaves neither the store nor the shard empty. */
const B = "ab" + "cd".repeat(31);

/** `kv`, counting (never holding) its reads of winners and of tally counters. */
function countReads(kv: Deno.Kv): { view: Deno.Kv; winners: HeldReads; counts: HeldReads } {
  const winners = holdReads(kv, (keys) => keys.some((k) => k.includes(WINNER_PART)));
  const counts = holdReads(winners.view, (keys) => keys.some((k) => k.includes(TALLY_PART)));
  winners.release();
  counts.release();
  return { view: counts.view, winners, counts };
}

/** Store `payloads` through a store of their own on `path` (a writer whose cache is not ours). */
async function ingestElsewhere(path: string, payloads: Digested[]): Promise<void> {
  const other = await KvStore.open(path);
  try {
    await ingest(other, payloads, { journalId: J2 });
  } finally {
    other.close();
  }
}

/**
 * Runs `fn` on a store opened over a counting view of the KV at `path`, after
 * `seed` was stored there by another writer; closes both.
 */
async function withCountedStore(
  path: string,
  seed: Digested[],
  fn: (store: KvStore, reads: ReturnType<typeof countReads>) => Promise<void>,
): Promise<void> {
  await ingestElsewhere(path, seed);
  const kv = await Deno.openKv(path);
  const reads = countReads(kv);
  const store = await KvStore.open(reads.view);
  try {
    await fn(store, reads);
  } finally {
    store.close();
    kv.close();
  }
}

/** `count` votes on `assertion`, each of a voter of its own. */
function votesOn(assertion: string, count: number, from = 0): Promise<Digested[]> {
  return Promise.all(
    Array.from(
      { length: count },
      (_, i) => votePayload(assertion, { voter: `v${from + i}`, value: 1, timestamp: 1 }),
    ),
  );
}

/** Its winner entry as the cache holds it, for a vote of value 1. */
const winnerOf = (r: Resolvable) => ({ time: r.time, hash: r.hash, value: 1 });

/**
 * As a commit would: store `ann` and `bob` on A as winners with their count,
 * checked against nothing, then lay the commit over `cache` as current at
 * `guard` (the shard's guard as the cache read it).
 */
async function commitBoth(
  store: KvStore,
  cache: WinnerCache,
  [ann, bob]: [Resolvable, Resolvable],
  guard: string | null,
): Promise<string> {
  const shard = shardOf(ann);
  const commit = await store.kv.atomic()
    .set(ann.set.key, ann.set.value)
    .set(bob.set.key, bob.set.value)
    .sum(store.keys.tally(A, "u"), 2n)
    .set(store.keys.guard(shard), 0)
    .commit();
  assert.ok(commit.ok);
  cache.applied({
    versionstamp: commit.versionstamp,
    guards: new Map([[shard, guard]]),
    writes: new Map([[keyId(ann), winnerOf(ann)], [keyId(bob), winnerOf(bob)]]),
  });
  return commit.versionstamp;
}

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

Deno.test("A commit into a store holding winners elsewhere reads no winner of an assertion that holds none", async () => {
  await withStore(async (_, path) => {
    await withCountedStore(path, await votesOn(B, 1), async (store, reads) => {
      // Every voter votes twice, in two commits: the second vote must know the first.
      const votes = await Promise.all(
        Array.from(
          { length: 40 },
          (_, i) => votePayload(A, { voter: `v${i % 20}`, value: i < 20 ? 1 : -1, timestamp: i }),
        ),
      );
      await ingest(store, votes, { journalId: J1, maxRecords: 4 });
      assert.equal(reads.winners.reads, 0, "no winner of A read, though its shard holds B's");
      // From the first commit on, the cache knows every winner of A: its own.
      assert.equal(reads.counts.reads, 1, "A's winner count, read once");
      const tally = await store.tally(A);
      assert.deepEqual([tally.count, tally.up, tally.down], [20, 0, 20]);
    });
  });
});

Deno.test("Voters new to an assertion that holds winners are read, its winner count once", async () => {
  await withStore(async (_, path) => {
    await withCountedStore(path, await votesOn(A, 1), async (store, reads) => {
      await ingest(store, await votesOn(A, 12, 1), { journalId: J1, maxRecords: 4 });
      assert.equal(reads.counts.reads, 1, "A holds winners: it always will, not counted again");
      assert.equal(reads.winners.reads, 3, "each commit reads its four new voters' winners");
      assert.equal((await store.tally(A)).count, 13);
    });
  });
});

Deno.test("A winner another writer stores on an assertion read as holding none moves the guard: the commit reads again", async () => {
  await withStore(async (_, path) => {
    await withCountedStore(path, await votesOn(B, 1), async (store, reads) => {
      const builder = new CommitBuilder(store, { journalId: J1 });
      const ann = await votePayload(A, { voter: "ann", value: -1, timestamp: 2 });
      assert.ok(builder.add({ offset: 0, next: 1, payload: ann.payload, digest: ann.digest }));
      const planned = builder.take()!;
      await builder.whenRead(planned);
      assert.equal(reads.winners.reads, 0, "A held no winner when read");
      // Meanwhile another writer stores ann's earlier vote: taking A for empty would count
      // ann twice.
      await ingestElsewhere(path, [await votePayload(A, { voter: "ann", value: 1, timestamp: 1 })]);
      assert.ok((await builder.commit(planned, { expect: null })).ok);
      assert.equal(reads.winners.reads, 1, "ann's winner, read once the guard check failed");
      const tally = await store.tally(A);
      assert.deepEqual([tally.count, tally.up, tally.down], [1, 0, 1]);
    });
  });
});

for (
  const [where, seeded] of [
    ["in a fresh store", false],
    ["of an assertion it knew every winner of, in a store holding winners elsewhere", true],
  ] as const
) {
  Deno.test(`WinnerCache reads a winner it evicted instead of taking it for absent, ${where}`, async () => {
    await withStore(async (store, path) => {
      if (seeded) await ingestElsewhere(path, await votesOn(B, 1));
      const cache = new WinnerCache(1);
      const ann = resolvable(store, await votePayload(A, { voter: "ann", timestamp: 1 }));
      const bob = resolvable(store, await votePayload(A, { voter: "bob", timestamp: 1 }));
      const shard = shardOf(ann);
      const first = await cache.readState(store.kv, store.keys, [ann, bob]);
      assert.equal(first.current.get(keyId(ann)), null, "A holds no winner");
      const versionstamp = await commitBoth(store, cache, [ann, bob], first.guards.get(shard)!);
      assert.equal(cache.size, 1, "ann was evicted");
      const next = await cache.readState(store.kv, store.keys, [ann]);
      assert.equal(next.guards.get(shard), versionstamp);
      assert.deepEqual(next.current.get(keyId(ann)), winnerOf(ann));
    });
  });
}

Deno.test("WinnerCache does not take an assertion for fully known when one of its winners was evicted while its count was read", async () => {
  await withStore(async (store, path) => {
    await ingestElsewhere(path, await votesOn(B, 1));
    const cache = new WinnerCache(1);
    const ann = resolvable(store, await votePayload(A, { voter: "ann", timestamp: 1 }));
    const bob = resolvable(store, await votePayload(A, { voter: "bob", timestamp: 1 }));
    const shard = shardOf(ann);
    // The guards, known through B's seed (B holds winners: A's count is not read).
    const seed = resolvable(store, await votePayload(B, { voter: "v0", value: 1, timestamp: 1 }));
    const { guards } = await cache.readState(store.kv, store.keys, [seed]);
    // A view whose count reads are answered late: read at once, handed over on `answer`.
    const answer = Promise.withResolvers<void>();
    const counted = Promise.withResolvers<void>();
    const late = new Proxy(store.kv, {
      get(target, prop) {
        if (prop !== "getMany") {
          const v = Reflect.get(target, prop, target);
          return typeof v === "function" ? v.bind(target) : v;
        }
        return async (keys: Deno.KvKey[], options?: { consistency?: Deno.KvConsistencyLevel }) => {
          const read = await target.getMany(keys, options);
          if (keys.some((k) => k.includes(TALLY_PART))) {
            counted.resolve();
            await answer.promise;
          }
          return read;
        };
      },
    });
    // A's winner count is read now (0: A holds none), answered late.
    const reading = cache.readState(late, store.keys, [ann]);
    await counted.promise;
    // A commit lands meanwhile and is laid over: ann's winner is evicted by bob's.
    await commitBoth(store, cache, [ann, bob], guards.get(shard)!);
    answer.resolve();
    assert.equal((await reading).current.get(keyId(ann)), null, "absent when read");
    const next = await cache.readState(store.kv, store.keys, [ann]);
    assert.deepEqual(next.current.get(keyId(ann)), winnerOf(ann), "ann's winner, read");
  });
});
