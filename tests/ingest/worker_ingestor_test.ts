import assert from "node:assert/strict";
import { Journal } from "../../src/wal/mod.ts";
import { contentHash, serializeAssertion } from "../../src/records/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import { WorkerIngestor } from "../../src/ingest/mod.ts";

function payload(i: number): Uint8Array {
  return serializeAssertion({
    subject: `s-${i % 10}`,
    predicate: "p",
    object: `o-${i}`,
    source: "worker test",
    confidence: 1,
    timestamp: 1_700_000_000_000 + i,
  });
}

Deno.test("WorkerIngestor applies every record appended on this thread, from its own thread", async () => {
  const dir = await Deno.makeTempDir();
  const journal = await Journal.open(`${dir}/wal`);
  const store = await KvStore.open(`${dir}/kv.sqlite`);
  const ingestor = await WorkerIngestor.start({ walDir: `${dir}/wal`, kv: `${dir}/kv.sqlite` });
  try {
    assert.equal(ingestor.running, true);
    const payloads = Array.from({ length: 300 }, (_, i) => payload(i));
    await Promise.all(payloads.map((p) => journal.append(p)));
    const deadline = Date.now() + 20_000;
    while ((await store.readCursor(journal.id)).offset !== journal.durableOffset) {
      assert.ok(Date.now() < deadline, "the worker did not catch up in 20 s");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const p of [payloads[0], payloads[299]]) {
      assert.notEqual(await store.getAssertion(await contentHash(p)), null);
    }
    const entries = await Array.fromAsync(store.kv.list({ prefix: ["H"] }));
    assert.equal(entries.length, 300);
  } finally {
    await ingestor.stop();
    store.close();
    await journal.close();
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(ingestor.running, false);
});

Deno.test("WorkerIngestor.start() fails with the worker's reason when there is no journal", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      WorkerIngestor.start({ walDir: `${dir}/missing`, kv: `${dir}/kv.sqlite` }),
      (error: Error) => error.message.startsWith("Cannot start the worker ingestor: "),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
