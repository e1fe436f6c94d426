import assert from "node:assert/strict";
import { decodeRecord } from "../../src/records/mod.ts";
import {
  assertionPayload,
  type Digested,
  epochPayload,
  ingest,
  votePayload,
  withStore,
} from "./_helpers.ts";
import { KvStore, type ReferenceCheck } from "../../src/store/mod.ts";
import { withKvBackend } from "../support/kv_connect/mod.ts";

function recordOf(item: Digested) {
  return { record: decodeRecord(item.payload), payload: item.payload };
}

function check(refs: ReferenceCheck, item: Digested) {
  return refs.check(decodeRecord(item.payload), item.payload);
}

Deno.test("ReferenceCheck refuses a vote on an assertion neither stored nor earlier in the batch", async () => {
  await withStore(async (store) => {
    const a = await assertionPayload();
    const vote = await votePayload(a.hash);
    const problem = await check(store.referenceCheck(), vote);
    assert.equal(problem?.code, "unknown_assertion");
    assert.equal(problem?.field, "assertion");
    assert.match(problem!.message, new RegExp(a.hash));

    const batch = store.referenceCheck();
    assert.equal(await check(batch, a), null);
    assert.equal(await check(batch, vote), null, "the assertion came earlier in the batch");

    await ingest(store, [a]);
    assert.equal(await check(store.referenceCheck(), vote), null, "the assertion is stored");
  });
});

Deno.test("ReferenceCheck refuses an assertion or a vote naming an unknown epoch", async () => {
  await withStore(async (store) => {
    const a = await assertionPayload({ epoch: "0a" });
    assert.equal((await check(store.referenceCheck(), a))?.code, "unknown_epoch");
    const stored = await assertionPayload();
    await ingest(store, [stored]);
    const vote = await votePayload(stored.hash, { epoch: "0a" });
    assert.equal((await check(store.referenceCheck(), vote))?.field, "epoch");

    const batch = store.referenceCheck();
    assert.equal(await check(batch, await epochPayload({ id: "0a" })), null);
    assert.equal(await check(batch, a), null, "the epoch came earlier in the batch");
    assert.equal(await check(batch, vote), null);

    await ingest(store, [await epochPayload({ id: "0a" })]);
    assert.equal(await check(store.referenceCheck(), a), null, "the epoch is stored");
  });
});

Deno.test("ReferenceCheck does not let a refused assertion make a later vote known", async () => {
  await withStore(async (store) => {
    const refs = store.referenceCheck();
    const a = await assertionPayload({ epoch: "0b" });
    assert.equal((await check(refs, a))?.code, "unknown_epoch");
    assert.equal((await check(refs, await votePayload(a.hash)))?.code, "unknown_assertion");
  });
});

Deno.test("ReferenceCheck with allowUnknown accepts unknown references", async () => {
  await withStore(async (store) => {
    const refs = store.referenceCheck({ allowUnknown: true });
    assert.equal(await check(refs, await assertionPayload({ epoch: "0c" })), null);
    assert.equal(await check(refs, await votePayload("ab".repeat(32), { epoch: "0c" })), null);
  });
});

Deno.test("ReferenceCheck refuses an epoch id known with other content, accepts the same content", async () => {
  await withStore(async (store) => {
    const first = await epochPayload({ id: "0a", name: "first" });
    const other = await epochPayload({ id: "0a", name: "other" });
    await ingest(store, [first]);
    assert.equal(await check(store.referenceCheck(), first), null, "same content again");
    const problem = await check(store.referenceCheck({ allowUnknown: true }), other);
    assert.equal(problem?.code, "epoch_exists", "allowUnknown does not cover a conflict");
    assert.equal(problem?.field, "id");

    const batch = store.referenceCheck();
    const fresh = await epochPayload({ id: "0b", name: "fresh" });
    assert.equal(await check(batch, fresh), null);
    assert.equal(await check(batch, fresh), null);
    const clash = await check(batch, await epochPayload({ id: "0b", name: "clash" }));
    assert.equal(clash?.code, "epoch_exists", "an earlier epoch of the batch counts");
  });
});

Deno.test("Ingest applies a vote whose assertion is unknown: the pipeline drops nothing", async () => {
  await withStore(async (store) => {
    const missing = "cd".repeat(32);
    const vote = await votePayload(missing, { epoch: "0f" });
    const orphan = await assertionPayload({ epoch: "0f" });
    await ingest(store, [vote, orphan]);
    assert.deepEqual((await store.listVotes(missing)).items.map((v) => v.hash), [vote.hash]);
    assert.deepEqual((await store.listEpochAssertions("0f")).items.map((a) => a.hash), [
      orphan.hash,
    ]);
    assert.deepEqual(await store.deadLetters(), []);
  });
});

Deno.test("ReferenceCheck.checkAll() reads each unknown reference once, ten keys a read, none brought earlier (remote KV)", async () => {
  await withKvBackend("remote", async ({ target, server }) => {
    const store = await KvStore.open(target);
    try {
      const stored = await Promise.all(
        Array.from({ length: 25 }, (_, i) => assertionPayload({ object: `stored-${i}` })),
      );
      await ingest(store, stored);
      const fresh = await assertionPayload({ object: "fresh" });
      const unknown = "ee".repeat(32);
      const items: Digested[] = [fresh];
      for (const [i, a] of stored.entries()) {
        for (const voter of ["ann", "bob", "cy"]) {
          items.push(await votePayload(a.hash, { voter, timestamp: i }));
        }
      }
      items.push(await votePayload(fresh.hash), await votePayload(fresh.hash, { voter: "bob" }));
      items.push(await votePayload(unknown), await votePayload(unknown, { voter: "bob" }));
      const before = server!.stats.requests.snapshot_read;
      const problems = await store.referenceCheck().checkAll(items.map(recordOf));
      // 25 stored assertions and the unknown one: 26 keys, in reads of 10, 10 and 6.
      assert.equal(server!.stats.requests.snapshot_read - before, 3);
      assert.deepEqual(
        problems.map((p) => p?.code ?? null),
        [...Array(items.length - 2).fill(null), "unknown_assertion", "unknown_assertion"],
      );
    } finally {
      store.close();
    }
  });
});

Deno.test("ReferenceCheck.checkAll() answers what check() answers record by record", async () => {
  await withStore(async (store) => {
    const stored = await assertionPayload({ object: "stored" });
    const epoch = await epochPayload({ id: "0c" });
    await ingest(store, [stored, epoch]);
    const refused = await assertionPayload({ object: "refused", epoch: "0d" });
    const other = await epochPayload({ id: "0c", name: "other" });
    const items = [
      await votePayload(stored.hash),
      refused, // unknown epoch: does not make its votes known
      await votePayload(refused.hash),
      await epochPayload({ id: "0d" }),
      refused, // now its epoch came earlier
      await votePayload(refused.hash, { voter: "bob" }),
      other, // id known with other content
      await assertionPayload({ object: "in epoch", epoch: "0c" }),
      await votePayload("ee".repeat(32)),
    ];
    const one = store.referenceCheck();
    const expected = [];
    for (const item of items) expected.push(await check(one, item));
    assert.deepEqual(await store.referenceCheck().checkAll(items.map(recordOf)), expected);
    assert.deepEqual(expected.map((p) => p?.code ?? null), [
      null,
      "unknown_epoch",
      "unknown_assertion",
      null,
      null,
      null,
      "epoch_exists",
      null,
      "unknown_assertion",
    ]);
  });
});
