import assert from "node:assert/strict";
import { contentHash, fromHex, serializeAssertion } from "../../../src/records/mod.ts";
import { KvStore } from "../../../src/store/mod.ts";
import { DEFAULT_TOKEN, startKvConnectServer } from "./mod.ts";

Deno.test("KvStore.open(url) commits a record and a cursor through the KV Connect server", async () => {
  await using server = await startKvConnectServer();
  Deno.env.set("DENO_KV_ACCESS_TOKEN", DEFAULT_TOKEN);
  const store = await KvStore.open(server.url);
  try {
    const payload = serializeAssertion({
      subject: "earth",
      predicate: "orbits",
      object: "sun",
      source: "kepler",
      confidence: 1,
      timestamp: 0,
    });
    const plan = store.recordMutations(payload, fromHex(await contentHash(payload)));
    if (!plan.ok) throw new Error(plan.reason);
    const { versionstamp } = await store.readCursor("j1");
    await store.commitBatch({
      journalId: "j1",
      expect: versionstamp,
      sets: plan.sets,
      deadLetters: [],
      cursor: 100,
    });
    assert.equal((await store.getAssertion(plan.hash))?.object, "sun");
    assert.equal((await store.readCursor("j1")).offset, 100);
    assert.equal((await store.listSubject("earth")).items.length, 1);
    assert.equal(server.stats.appliedWrites, 1);
    const backing = await KvStore.open(server.kv);
    assert.equal((await backing.getAssertion(plan.hash))?.object, "sun", "the backing KV holds it");
    backing.close();
  } finally {
    store.close();
  }
});
