import assert from "node:assert/strict";
import { CommitBuilder, GUARD_SHARDS, KvStore, MAX_CHECKS } from "../../src/store/mod.ts";
import { resolveCommit } from "../../src/store/resolve.ts";
import { KV_BACKENDS, withKvBackend } from "../support/kv_connect/mod.ts";
import { assertionPayload, type Digested, ingest, votePayload, withStore } from "./_helpers.ts";

const J1 = "1".repeat(32);
const J2 = "2".repeat(32);

function record(d: Digested, offset: number) {
  return { offset, next: offset + 1, payload: d.payload, digest: d.digest };
}

/** Plans `items` as one commit of journal `journalId`, from its committed cursor. */
async function plan(store: KvStore, journalId: string, items: Digested[]) {
  const builder = new CommitBuilder(store, { journalId });
  const cursor = await store.readCursor(journalId);
  const from = cursor.offset ?? 0;
  items.forEach((d, i) => assert.ok(builder.add(record(d, from + i))));
  return { builder, planned: builder.take()!, expect: cursor.versionstamp };
}

Deno.test("tally() counts only each voter's latest vote, whatever order the votes arrive in", async () => {
  await withStore(async (store) => {
    const a = await assertionPayload();
    const early = await votePayload(a.hash, { voter: "ann", value: 1, timestamp: 10 });
    const late = await votePayload(a.hash, { voter: "ann", value: -1, timestamp: 20 });
    const bob = await votePayload(a.hash, { voter: "bob", value: 0.5, timestamp: 15 });
    await ingest(store, [a, late, bob, early]);
    assert.deepEqual(await store.tally(a.hash), {
      count: 2,
      voters: 2,
      sum: -0.5,
      mean: -0.25,
      up: 1,
      down: 1,
      neutral: 0,
    });
    // History is kept: every vote stays listed.
    assert.equal((await store.listVotes(a.hash)).items.length, 3);
  });
});

Deno.test("A voter's votes tied on timestamp resolve to the greater content hash", async () => {
  await withStore(async (store) => {
    const target = "cd".repeat(32);
    const x = await votePayload(target, { voter: "ann", value: 1, timestamp: 7 });
    const y = await votePayload(target, { voter: "ann", value: -1, timestamp: 7 });
    const winner = x.hash > y.hash ? 1 : -1;
    await ingest(store, [x, y], { journalId: J1 });
    await ingest(store, [y, x], { journalId: J2 });
    const tally = await store.tally(target);
    assert.equal(tally.count, 1);
    assert.equal(tally.sum, winner);
  });
});

Deno.test("tally() is right for an assertion whose votes arrived before it", async () => {
  await withStore(async (store) => {
    const a = await assertionPayload({ object: "late" });
    const votes = await Promise.all(
      ["ann", "bob", "cy"].map((voter, i) => votePayload(a.hash, { voter, value: i - 1 })),
    );
    await ingest(store, votes, { journalId: J1 });
    assert.equal(await store.hasAssertion(a.hash), false);
    assert.equal((await store.tally(a.hash)).count, 3, "the votes were kept, not dropped");
    await ingest(store, [a], { journalId: J2 });
    assert.equal(await store.hasAssertion(a.hash), true);
    assert.deepEqual(await store.tally(a.hash), {
      count: 3,
      voters: 3,
      sum: 0,
      mean: 0,
      up: 1,
      down: 1,
      neutral: 1,
    });
  });
});

Deno.test("A replay from offset 0 of an applied journal changes no tally", async () => {
  await withStore(async (store) => {
    const target = "ef".repeat(32);
    const votes = await Promise.all(
      Array.from(
        { length: 40 },
        (_, i) => votePayload(target, { voter: `v${i % 7}`, value: (i % 3) - 1, timestamp: i }),
      ),
    );
    await ingest(store, votes, { journalId: J1, maxRecords: 6 });
    const before = await store.tally(target);
    // Forget the cursor: the journal is applied again from its first record.
    await store.kv.delete(store.keys.cursor(J1));
    await ingest(store, votes, { journalId: J1, maxRecords: 9 });
    assert.deepEqual(await store.tally(target), before);
    assert.equal(before.count, 7);
  });
});

for (const backend of KV_BACKENDS) {
  Deno.test(`Two journals committing the same voter's votes at once both apply, exactly (${backend} KV)`, async () => {
    await withKvBackend(backend, async ({ target, server }) => {
      const store = await KvStore.open(target);
      try {
        const a = "ab".repeat(32);
        const old = await votePayload(a, { voter: "ann", value: 1, timestamp: 1 });
        await ingest(store, [old], { journalId: J1 });
        const mid = await votePayload(a, { voter: "ann", value: 0, timestamp: 2 });
        const last = await votePayload(a, { voter: "ann", value: -1, timestamp: 3 });
        const bob = await votePayload(a, { voter: "bob", value: 0.5, timestamp: 3 });
        const first = await plan(store, J1, [mid, bob]);
        const second = await plan(store, J2, [last, bob]);
        const failedBefore = server?.stats.checkFailures ?? 0;
        // Both read the same guards and winners, then commit: the later one fails its guard
        // check, resolves again over the first one's winners, and commits.
        const results = await Promise.all([
          first.builder.commit(first.planned, { expect: first.expect }),
          second.builder.commit(second.planned, { expect: second.expect }),
        ]);
        assert.ok(results.every((r) => r.ok));
        if (server !== undefined) {
          assert.ok(
            server.stats.checkFailures > failedBefore,
            "a guard check failed and was retried",
          );
        }
        assert.deepEqual(await store.tally(a), {
          count: 2,
          voters: 2,
          sum: -0.5,
          mean: -0.25,
          up: 1,
          down: 1,
          neutral: 0,
        });
        assert.equal((await store.readCursor(J1)).offset, 3);
        assert.equal((await store.readCursor(J2)).offset, 2);
      } finally {
        store.close();
      }
    });
  });
}

Deno.test("CommitBuilder.commit() answers { ok: false } and applies nothing when the cursor moved", async () => {
  await withStore(async (store) => {
    const target = "ab".repeat(32);
    const vote = await votePayload(target, { voter: "ann", value: 1, timestamp: 1 });
    const a = await plan(store, J1, [vote]);
    const b = await plan(store, J1, [vote]);
    assert.ok((await a.builder.commit(a.planned, { expect: a.expect })).ok);
    assert.deepEqual(await b.builder.commit(b.planned, { expect: b.expect }), { ok: false });
    assert.equal((await store.tally(target)).count, 1);
  });
});

for (const backend of KV_BACKENDS) {
  Deno.test(`A commit changing winners in every guard shard stays within MAX_CHECKS (${backend} KV)`, async () => {
    await withKvBackend(backend, async ({ target }) => {
      const store = await KvStore.open(target);
      try {
        // Assertions whose first bytes are 0x00..0x0f: every shard, two assertions each.
        const assertions = Array.from(
          { length: 2 * GUARD_SHARDS },
          (_, i) => i.toString(16).padStart(2, "0") + "ab".repeat(31),
        );
        const votes = await Promise.all(
          assertions.map((assertion) => votePayload(assertion, { voter: "ann", value: 1 })),
        );
        const { builder, planned, expect } = await plan(store, J1, votes);
        const resolution = await resolveCommit(store.kv, store.keys, planned.resolves);
        assert.equal(resolution.checks.length, GUARD_SHARDS, "one guard check per shard");
        assert.ok(1 + resolution.checks.length <= MAX_CHECKS, "with the cursor's");
        assert.ok((await builder.commit(planned, { expect })).ok);
        for (const assertion of assertions) assert.equal((await store.tally(assertion)).up, 1);
      } finally {
        store.close();
      }
    });
  });
}

Deno.test("tally() is one read of four keys whatever the number of votes (remote KV)", async () => {
  await withKvBackend("remote", async ({ target, server }) => {
    const store = await KvStore.open(target);
    try {
      const few = "01".repeat(32);
      const many = "02".repeat(32);
      const votes = await Promise.all([
        votePayload(few, { voter: "solo" }),
        ...Array.from({ length: 1_200 }, (_, i) => votePayload(many, { voter: `v${i}` })),
      ]);
      await ingest(store, votes);
      const reads = async (hash: string) => {
        const before = server!.stats.requests.snapshot_read;
        const tally = await store.tally(hash);
        return { requests: server!.stats.requests.snapshot_read - before, count: tally.count };
      };
      assert.deepEqual(await reads(few), { requests: 1, count: 1 });
      assert.deepEqual(await reads(many), { requests: 1, count: 1_200 });
    } finally {
      store.close();
    }
  });
});
