import assert from "node:assert/strict";
import { assertionJson, json, stemedb, tempData } from "../cli/_cli.ts";
import { startKvConnectServer } from "../support/kv_connect/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import { Journal } from "../../src/wal/mod.ts";
import { Ingestor } from "../../src/ingest/mod.ts";
import { serializeAssertion } from "../../src/records/mod.ts";
import { denoServe, everyWorkerAnswers } from "./_deno_serve.ts";

const WORKERS = 2;

function postAssertion(
  url: string,
  i: number,
  wait = true,
  client?: Deno.HttpClient,
): Promise<Response> {
  const { type: _, ...body } = assertionJson(`Parallel${i}`, "index", i);
  return fetch(`${url}/assertions${wait ? "?wait=ingested" : ""}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    client,
  });
}

/** Run `count` calls of `task` with at most `concurrency` in flight. */
async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>) {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  }));
  return results;
}

Deno.test("deno serve --parallel: every worker writes its own journal shard, no request fails, every acknowledged record is queryable from any worker", async () => {
  await using data = await tempData();
  const served = await denoServe({ workers: WORKERS, env: { STEMEDB_DATA: data.dir } });
  let stopped;
  try {
    const health = await pool(16, 16, async () => {
      const r = await fetch(`${served.url}/health`);
      return { status: r.status, body: await r.json() };
    });
    assert.deepEqual(health.map((h) => h.status), new Array(16).fill(200));
    await everyWorkerAnswers(served.url, WORKERS);
    // A fresh connection per write, opened once every worker listens, so the
    // kernel spreads them over all (a pooled client may reuse a few).
    const writes = await pool(256, 64, async (i) => {
      using client = Deno.createHttpClient({});
      const r = await postAssertion(served.url, i, true, client);
      return {
        status: r.status,
        ingested: r.headers.get("stemedb-ingested"),
        body: await r.json(),
      };
    });
    assert.deepEqual(writes.filter((w) => w.status !== 201), [], "no write fails");
    assert.deepEqual(writes.filter((w) => w.ingested !== "true"), [], "?wait=ingested holds");
    const reads = await pool(256, 64, async (i) => {
      const r = await fetch(`${served.url}/assertions/${writes[i].body.hash}`);
      return { status: r.status, object: (await r.json()).object };
    });
    assert.deepEqual(reads.filter((r, i) => r.status !== 200 || r.object !== i), []);
    // Both workers took writes, each into its own shard with its own journal id.
    const status = await (await fetch(`${served.url}/status`)).json();
    assert.equal(status.shards.length, WORKERS);
    const ids = new Set(status.shards.map((s: { journal: { id: string } }) => s.journal.id));
    assert.equal(ids.size, WORKERS);
    for (const shard of status.shards) assert.ok(shard.journal.durableOffset > 0, "shard wrote");
  } finally {
    stopped = await served.stop("SIGTERM");
  }
  assert.equal(stopped.code, 0, served.stderr());
  const report = await stemedb(["status", "--data", data.dir, "--json"]);
  assert.equal(report.code, 0, report.stderr);
  const shards = json(report).shards;
  assert.deepEqual(
    shards.map((s: { journal: { dir: string } }) => s.journal.dir.split("/").pop()),
    [
      "wal",
      "wal-1",
    ],
  );
  assert.deepEqual(shards.map((s: { ingest: { lagBytes: number } }) => s.ingest.lagBytes), [0, 0]);
  const verify = await stemedb(["verify", "--data", data.dir]);
  assert.equal(verify.code, 0, verify.stdout);
});

Deno.test("deno serve stops on SIGTERM while writes are in flight: each accepted write is answered 201 and durable, then exits 0", async () => {
  await using data = await tempData();
  const served = await denoServe({ workers: WORKERS, env: { STEMEDB_DATA: data.dir } });
  await everyWorkerAnswers(served.url, WORKERS);
  const accepted: string[] = [];
  const failures: string[] = [];
  let stopping = false;
  const load = pool(400, 32, async (i) => {
    if (stopping && i % 2 === 0) await new Promise((r) => setTimeout(r, 5));
    let response: Response;
    try {
      response = await postAssertion(served.url, i, false);
    } catch {
      return; // refused once the server stopped accepting: never acknowledged
    }
    const body = await response.text();
    if (response.status === 201) accepted.push(JSON.parse(body).hash);
    else if (!(response.status === 503 && stopping)) failures.push(`${response.status} ${body}`);
  });
  while (accepted.length < 50) await new Promise((r) => setTimeout(r, 5));
  stopping = true;
  const status = await served.stop("SIGTERM");
  await load;
  assert.equal(status.code, 0, served.stderr());
  assert.deepEqual(failures, []);
  assert.doesNotMatch(served.stderr(), /JournalClosedError|Uncaught/);
  // Every acknowledged write was applied before the service closed.
  const store = await KvStore.open(`${data.dir}/kv.sqlite`);
  try {
    const missing = [];
    for (const hash of accepted) if ((await store.getAssertion(hash)) === null) missing.push(hash);
    assert.deepEqual(missing, []);
  } finally {
    store.close();
  }
});

Deno.test("deno serve --parallel stopped with one worker's journal far ahead of its ingestor applies all of it before the process exits", async () => {
  // The other worker closes at once; ending the process then would end this
  // one in the middle of its last ingest pass. 6,000 records: what even a
  // loaded machine applies within that pass's budget (2 s).
  await using data = await tempData();
  const served = await denoServe({ workers: WORKERS, env: { STEMEDB_DATA: data.dir } });
  await everyWorkerAnswers(served.url, WORKERS);
  using client = Deno.createHttpClient({}); // one connection: one worker takes every batch
  const hashes: string[] = [];
  for (let batch = 0; batch < 4; batch++) {
    const lines = Array.from({ length: 1_500 }, (_unused, i) => {
      const { type: _, ...body } = assertionJson(`Backlog${batch}`, "index", i);
      return JSON.stringify(body);
    });
    const r = await fetch(`${served.url}/assertions`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: lines.join("\n") + "\n",
      client,
    });
    assert.equal(r.status, 201, await r.clone().text());
    for (const receipt of await r.json()) hashes.push(receipt.hash);
  }
  const status = await served.stop("SIGTERM");
  assert.equal(status.code, 0, served.stderr());
  const store = await KvStore.open(`${data.dir}/kv.sqlite`);
  try {
    let missing = 0;
    for (const hash of hashes) if ((await store.getAssertion(hash)) === null) missing++;
    assert.equal(missing, 0, `${missing} of ${hashes.length} acknowledged records not applied`);
  } finally {
    store.close();
  }
});

Deno.test("deno serve with STEMEDB_READ_ONLY=1 and write permission denied serves every read from a remote KV and answers writes 405", async () => {
  await using kvServer = await startKvConnectServer();
  Deno.env.set("DENO_KV_ACCESS_TOKEN", kvServer.token);
  // A writer node elsewhere fills the shared KV.
  const dir = await Deno.makeTempDir({ prefix: "stemedb_writer_" });
  const journal = await Journal.open(`${dir}/wal`);
  const writerStore = await KvStore.open(kvServer.url);
  const { digest } = await journal.append(serializeAssertion({
    subject: "Edge",
    predicate: "servedBy",
    object: "reader",
    source: "test",
    confidence: 0.5,
    timestamp: 1,
  }));
  await new Ingestor(journal, writerStore).runOnce();
  writerStore.close();
  await journal.close();
  await Deno.remove(dir, { recursive: true });
  const hash = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  const empty = await Deno.makeTempDir({ prefix: "stemedb_reader_" });
  const served = await denoServe({
    permissions: ["--allow-net", "--allow-env", `--allow-read=${Deno.cwd()}`],
    env: {
      STEMEDB_READ_ONLY: "1",
      STEMEDB_KV: kvServer.url,
      STEMEDB_DATA: `${empty}/never`,
      DENO_KV_ACCESS_TOKEN: kvServer.token,
    },
  });
  let stopped;
  try {
    const got = await fetch(`${served.url}/assertions/${hash}`);
    assert.equal(got.status, 200);
    assert.equal((await got.json()).object, "reader");
    const subject = await (await fetch(`${served.url}/subjects/Edge/assertions`)).json();
    assert.equal(subject.items.length, 1);
    const health = await fetch(`${served.url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual((await health.json()).journal, null);
    const status = await (await fetch(`${served.url}/status`)).json();
    assert.equal(status.readOnly, true);
    assert.equal(status.cursors.length, 1);
    const write = await postAssertion(served.url, 1, false);
    assert.equal(write.status, 405);
    assert.equal((await write.json()).error.code, "method_not_allowed");
  } finally {
    stopped = await served.stop("SIGINT");
  }
  assert.equal(stopped.code, 0, served.stderr());
  assert.deepEqual([...Deno.readDirSync(empty)], [], "the reader created nothing");
  await Deno.remove(empty, { recursive: true });
});
