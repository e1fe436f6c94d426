import assert from "node:assert/strict";
import { isJson, spawnStemedb, tempData } from "../cli/_cli.ts";
import { createApp } from "../../src/http/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import { Journal } from "../../src/wal/mod.ts";
import { assertion, call, post, startServer } from "./_server.ts";

Deno.test("Past maxLagRecords writes answer 429 with Retry-After and lagRecords, and are accepted again once ingested", async () => {
  const server = await startServer({ trackLag: true, maxLagRecords: 5 });
  try {
    const five = Array.from({ length: 5 }, (_, i) => assertion({ object: `o${i}` }));
    assert.equal((await call(`${server.url}/assertions`, post(five))).status, 201);
    await server.lag!.settled();
    const refused = await call(`${server.url}/assertions`, post(assertion({ object: "late" })));
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, "too_many_requests");
    assert.equal(refused.body.error.lagRecords, 5);
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    // Reads are never refused.
    assert.equal((await call(`${server.url}/status`)).body.ingest.lagRecords, 5);
    await server.ingest();
    await server.lag!.settled();
    assert.equal((await call(`${server.url}/assertions`, post(assertion()))).status, 201);
  } finally {
    await server.close();
  }
});

Deno.test("createApp() refuses maxLagRecords without a lag tracker, and limits below 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stemedb_backpressure_" });
  const journal = await Journal.open(`${dir}/wal`);
  const store = await KvStore.open(`${dir}/kv.sqlite`);
  try {
    assert.throws(() => createApp({ journal, store, maxLagRecords: 5 }), TypeError);
    assert.throws(() => createApp({ journal, store, maxInflightWrites: 0 }), RangeError);
  } finally {
    store.close();
    await journal.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve --max-lag slows producers: batches that outrun the ingestor meet 429 with Retry-After, then writes resume", async () => {
  await using data = await tempData();
  const server = spawnStemedb([
    "serve",
    "--port",
    "0",
    "--json",
    "--max-lag",
    "1000",
    "--data",
    data.dir,
  ]);
  try {
    const info = JSON.parse(await server.waitFor(isJson));
    assert.equal(info.maxLag, 1000);
    const batch = Array.from({ length: 5000 }, (_, i) => assertion({ object: `b${i}` }));
    let refused: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 50 && refused === undefined; i++) {
      const r = await call(`${info.url}/assertions`, post(batch));
      if (r.status === 429) refused = r;
      else assert.equal(r.status, 201);
    }
    assert.ok(refused !== undefined, "a producer outrunning the ingestor is told to slow down");
    assert.ok(refused.body.error.lagRecords >= 1000);
    const retryAfter = Number(refused.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    const deadline = Date.now() + 30_000;
    let status = 429;
    while (status === 429 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await call(`${info.url}/assertions`, post(assertion()))).status;
    }
    assert.equal(status, 201, "writes resume once the ingestor catches up");
    const report = (await call(`${info.url}/status`)).body;
    assert.equal(report.ingest.lagRecordsCapped, false);
  } finally {
    assert.equal((await server.finish("SIGTERM")).code, 0);
  }
});
