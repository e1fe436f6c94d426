import assert from "node:assert/strict";
import { CommitPipeline } from "../../src/ingest/commit_pipeline.ts";
import { contentHash, fromHex, serializeVote } from "../../src/records/mod.ts";
import { CommitBuilder, KvStore, type PlannedCommit } from "../../src/store/mod.ts";
import { WINNER_PART } from "../../src/store/keys.ts";
import { holdReads } from "../support/kv_intercept.ts";
import { openKvFixture, testKvBackend } from "../support/kv_connect/mod.ts";

const J1 = "1".repeat(32);
const A = "ab".repeat(32);

/** A vote on `A` as a journal record at `offset`. */
async function voteRecord(voter: string, offset: number) {
  const payload = serializeVote({ assertion: A, voter, value: 1, timestamp: 1 });
  return { offset, next: offset + 1, payload, digest: fromHex(await contentHash(payload)) };
}

Deno.test("CommitPipeline.send() returns once the commit's winner reads are in, not before", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stemedb-pipeline-" });
  const fixture = await openKvFixture(testKvBackend(), dir);
  const kv = await Deno.openKv(fixture.target);
  try {
    // A winner on A stored by another journal: the builder cannot know A's winners, so it reads.
    const seeder = await KvStore.open(kv);
    const seedBuilder = new CommitBuilder(seeder, { journalId: "2".repeat(32) });
    const seed = serializeVote({
      assertion: A,
      voter: "seed",
      value: -1,
      timestamp: 0,
    });
    seedBuilder.add({
      offset: 0,
      next: 1,
      payload: seed,
      digest: fromHex(await contentHash(seed)),
    });
    assert.ok((await seedBuilder.commit(seedBuilder.take()!, { expect: null })).ok);
    seeder.close();

    const held = holdReads(kv, (keys) => keys.some((k) => k.includes(WINNER_PART)));
    const store = await KvStore.open(held.view);
    const builder = new CommitBuilder(store, { journalId: J1 });
    const committed: PlannedCommit[] = [];
    const pipeline = new CommitPipeline(builder, {
      cursor: { offset: 0, versionstamp: null },
      lagBytes: () => 0,
      onCommitted: (planned) => committed.push(planned),
      readCursor: async () => {
        const cursor = await store.readCursor(J1);
        return { ...cursor, offset: cursor.offset ?? 0 };
      },
    });
    assert.ok(builder.add(await voteRecord("ann", 0)));
    let returned = false;
    const sent = pipeline.send(builder.take()).then((ok) => {
      returned = true;
      return ok;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(returned, false, "send() waits while the winner read is held");
    held.release();
    assert.equal(await sent, true);
    assert.ok(await pipeline.settle());
    assert.equal(committed.length, 1);
    assert.equal(pipeline.cursor.offset, 1);
    assert.equal((await store.tally(A)).up, 1);
    store.close();
  } finally {
    await fixture[Symbol.asyncDispose]();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});
