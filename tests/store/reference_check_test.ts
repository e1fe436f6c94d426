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
import type { ReferenceCheck } from "../../src/store/mod.ts";

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
