import assert from "node:assert/strict";
import { Journal } from "../../src/wal/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import { Ingestor } from "../../src/ingest/mod.ts";
import { assertAppliedOnce } from "./_helpers.ts";
import { readLines, spawnChild } from "./_process.ts";

Deno.test("Ingestor over a read-only journal applies only records its writer process made durable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stemedb-ingest-" });
  const journalDir = `${dir}/wal`;
  const store = await KvStore.open(`${dir}/kv.sqlite`);
  const writer = spawnChild("_child_writer.ts", [journalDir, "1500"]);
  const lines = readLines(writer.stdout);
  assert.equal((await lines.next()).value, "ready");
  const reader = await Journal.open(journalDir, { readOnly: true });
  const ingestor = new Ingestor(reader, store, { pollIntervalMs: 5, batchRecords: 50 });
  try {
    ingestor.start();
    const acked = new Set<number>([0]);
    const seen = new Set<number>();
    let end = -1;
    let sampling = Promise.resolve();
    const sampler = setInterval(() => {
      sampling = sampling.then(async () => {
        const c = await store.readCursor(reader.id);
        if (c.offset !== null) seen.add(c.offset);
      });
    }, 3);
    try {
      for await (const line of lines) {
        const [what, value] = line.split(" ");
        if (what === "acked") acked.add(Number(value));
        if (what === "done") end = Number(value);
      }
      assert.equal((await writer.status).code, 0);
      while ((await store.readCursor(reader.id)).offset !== end) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      clearInterval(sampler);
      await sampling;
    }
    assert.ok(seen.size > 5, `observed ${seen.size} cursor positions while the writer ran`);
    for (const offset of seen) {
      assert.ok(acked.has(offset), `cursor ${offset} is the end of an acknowledged record`);
    }
    await ingestor.stop();
    await reader.refresh();
    await assertAppliedOnce(reader, store);
  } finally {
    await ingestor.stop();
    store.close();
    await reader.close();
    await Deno.remove(dir, { recursive: true });
  }
});
