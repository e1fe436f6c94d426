import assert from "node:assert/strict";
import { contentHash, fromHex, serializeAssertion } from "../../../src/records/mod.ts";
import { KvStore } from "../../../src/store/mod.ts";
import { DEFAULT_TOKEN, KV_BACKENDS, startKvConnectServer, withKvBackend } from "./mod.ts";

function earthOrbitsSun(): Uint8Array {
  return serializeAssertion({
    subject: "earth",
    predicate: "orbits",
    object: "sun",
    source: "kepler",
    confidence: 1,
    timestamp: 0,
  });
}

Deno.test("KvStore.open(url) commits a record and a cursor through the KV Connect server", async () => {
  await using server = await startKvConnectServer();
  Deno.env.set("DENO_KV_ACCESS_TOKEN", DEFAULT_TOKEN);
  const store = await KvStore.open(server.url);
  try {
    const payload = earthOrbitsSun();
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

Deno.test("withKvBackend() gives the local and the remote back end the same store behaviour", async () => {
  const seen: string[] = [];
  for (const backend of KV_BACKENDS) {
    await withKvBackend(backend, async ({ target, server }) => {
      assert.equal(server === undefined, backend === "local");
      const store = await KvStore.open(target);
      try {
        const payload = earthOrbitsSun();
        const plan = store.recordMutations(payload, fromHex(await contentHash(payload)));
        if (!plan.ok) throw new Error(plan.reason);
        const stale = (await store.readCursor("j1")).versionstamp;
        await store.commitBatch({
          journalId: "j1",
          expect: stale,
          sets: plan.sets,
          deadLetters: [],
          cursor: 1,
        });
        const again = { journalId: "j1", expect: stale, sets: [], deadLetters: [], cursor: 2 };
        assert.equal((await store.commitBatch(again)).ok, false, "a stale cursor check fails");
        seen.push(`${backend}: ${(await store.getAssertion(plan.hash))?.object}`);
        if (server) assert.equal(server.stats.checkFailures, 1);
      } finally {
        store.close();
      }
    });
  }
  assert.deepEqual(seen, ["local: sun", "remote: sun"]);
});
