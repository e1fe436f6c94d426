import assert from "node:assert/strict";
import { referenceEpochs } from "../support/consensus_reference.ts";
import { epochPayload, ingest, withStore } from "./_helpers.ts";

const J1 = "1".repeat(32);
const J2 = "2".repeat(32);

Deno.test("An epoch id written twice keeps the later startTime, whatever the order or journal", async () => {
  await withStore(async (store) => {
    const older = await epochPayload({ id: "0a", name: "old", startTime: -100 });
    const newer = await epochPayload({ id: "0a", name: "new", startTime: 5 });
    await ingest(store, [newer], { journalId: J1 });
    await ingest(store, [older], { journalId: J2 });
    const kept = await store.getEpoch("0a");
    assert.equal(kept?.name, "new");
    assert.equal(kept?.hash, newer.hash);
    // The other way round ends the same.
    await withStore(async (other) => {
      await ingest(other, [older], { journalId: J2 });
      await ingest(other, [newer], { journalId: J1 });
      assert.deepEqual(await other.getEpoch("0a"), kept);
    });
  });
});

Deno.test("Epochs with one id tied on startTime keep the greater content hash", async () => {
  await withStore(async (store) => {
    const versions = await Promise.all(
      ["a", "b", "c", "d"].map((name) => epochPayload({ id: "0b", name, startTime: 7 })),
    );
    await ingest(store, versions.slice(2), { journalId: J1 });
    await ingest(store, versions.slice(0, 2).reverse(), { journalId: J2 });
    const want = referenceEpochs(versions.map((v) => ({ id: "0b", startTime: 7, hash: v.hash })));
    assert.equal((await store.getEpoch("0b"))?.hash, want.get("0b"));
  });
});

Deno.test("A replay of an older epoch version leaves the kept one in place, unwritten", async () => {
  await withStore(async (store) => {
    const older = await epochPayload({ id: "0c", name: "old", startTime: 1 });
    const newer = await epochPayload({ id: "0c", name: "new", startTime: 2 });
    await ingest(store, [older, newer], { journalId: J1 });
    const before = await store.kv.get(store.keys.epoch("0c"));
    await store.kv.delete(store.keys.cursor(J1));
    await ingest(store, [older, newer], { journalId: J1 });
    const after = await store.kv.get(store.keys.epoch("0c"));
    assert.equal(after.versionstamp, before.versionstamp, "not even rewritten");
    assert.equal((await store.getEpoch("0c"))?.name, "new");
  });
});
