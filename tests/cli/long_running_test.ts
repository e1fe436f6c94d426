import assert from "node:assert/strict";
import { everyWorkerAnswers } from "../http/_deno_serve.ts";
import {
  assertionJson,
  isJson,
  json,
  ndjson,
  spawnStemedb,
  stemedb,
  tempData,
  waitCaughtUp,
} from "./_cli.ts";

const batch = (from: number, n: number) =>
  ndjson(Array.from({ length: n }, (_, i) => assertionJson("Follow", "n", from + i)));

Deno.test("ingest --follow applies new records as they arrive and stops cleanly on SIGTERM", async () => {
  await using data = await tempData();
  const d = ["--data", data.dir];
  assert.equal((await stemedb(["append", ...d], { stdin: batch(0, 3) })).code, 0);
  const follower = spawnStemedb(["ingest", "--follow", "--json", ...d]);
  try {
    await waitCaughtUp(data.dir);
    assert.equal((await stemedb(["append", ...d], { stdin: batch(3, 2) })).code, 0);
    await waitCaughtUp(data.dir);
  } finally {
    const run = await follower.finish("SIGTERM");
    assert.equal(run.code, 0, run.stderr);
    const doc = json(run);
    assert.equal(doc.mode, "follow");
    assert.equal(doc.lagBytes, 0);
  }
  const subject = json(await stemedb(["query", "subject", "Follow", ...d, "--json"]));
  assert.equal(subject.items.length, 5);
});

Deno.test("ingest --cron catches up at once and stops cleanly on SIGINT", async () => {
  await using data = await tempData();
  const d = ["--data", data.dir];
  assert.equal((await stemedb(["append", ...d], { stdin: batch(0, 4) })).code, 0);
  const cron = spawnStemedb(["ingest", "--cron", "*/10 * * * *", "--json", ...d]);
  try {
    await waitCaughtUp(data.dir);
  } finally {
    const run = await cron.finish("SIGINT");
    assert.equal(run.code, 0, run.stderr);
    assert.equal(json(run).mode, "cron");
  }
});

Deno.test("ingest --cron with an invalid schedule is a usage error (exit code 2)", async () => {
  await using data = await tempData();
  const d = ["--data", data.dir];
  assert.equal((await stemedb(["append", ...d], { stdin: batch(0, 1) })).code, 0);
  const run = await stemedb(["ingest", "--cron", "every tuesday", ...d]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /Cannot schedule ingest on "every tuesday"/);
  assert.match(run.stderr, /stemedb ingest --help/);
});

Deno.test("serve --port 0 prints its address as JSON, serves, and stops cleanly on SIGTERM", async () => {
  await using data = await tempData();
  const server = spawnStemedb(["serve", "--port", "0", "--json", "--data", data.dir]);
  let run;
  try {
    const info = JSON.parse(await server.waitFor(isJson));
    assert.equal(info.hostname, "127.0.0.1");
    assert.ok(info.port > 0);
    const created = await fetch(`${info.url}/assertions?wait=ingested`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(assertionJson("Served", "by", "serve")),
    });
    assert.equal(created.status, 201);
    const { hash } = await created.json();
    const got = await fetch(`${info.url}/assertions/${hash}`);
    assert.equal(got.status, 200);
    assert.equal((await got.json()).object, "serve");
    const append = await stemedb(["append", "--data", data.dir], {
      stdin: ndjson([assertionJson("Locked", "out", true)]),
    });
    assert.equal(append.code, 1, "a second writer is refused");
    assert.match(append.stderr, /locked by another writer/);
    const status = await stemedb(["status", "--data", data.dir, "--json"]);
    assert.equal(status.code, 0, `status works while serve writes: ${status.stderr}`);
    assert.equal(json(status).ingest.lagBytes, 0);
  } finally {
    run = await server.finish("SIGTERM");
  }
  assert.equal(run.code, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout).port > 0, true, "stdout is exactly one JSON document");
  const verify = await stemedb(["verify", "--data", data.dir]);
  assert.equal(verify.code, 0, verify.stdout);
});

Deno.test("start honours PORT and explains what it runs", async () => {
  await using data = await tempData();
  const server = spawnStemedb(["start", "--data", data.dir], { PORT: "0" });
  try {
    const text = await server.waitFor((t) => /Press Ctrl-C/.test(t));
    assert.match(text, /stemedb listening on http:\/\/127\.0\.0\.1:\d+/);
    assert.match(text, /ingestor\s+running/);
    assert.match(text, /curl/);
  } finally {
    const run = await server.finish("SIGINT");
    assert.equal(run.code, 0, run.stderr);
  }
});

Deno.test("demo loads countries-list, ingests it and answers sample queries", async () => {
  await using data = await tempData();
  const run = await stemedb(["demo", "--data", data.dir, "--json"]);
  assert.equal(run.code, 0, run.stderr);
  const doc = json(run);
  assert.ok(doc.countries > 200);
  assert.equal(doc.ingest.deadLettered, 0);
  assert.equal(doc.ingest.applied, doc.records.total);
  assert.ok(doc.samples.subject.items.some((a: { object: unknown }) => a.object === "Paris"));
  assert.equal(doc.samples.votes.tally.count, 4);
  assert.equal(doc.samples.epoch.name, "countries-list 3.4.1");
  const capital = json(await stemedb(["query", "subject", "Japan", "--data", data.dir, "--json"]));
  assert.ok(
    capital.items.some((a: { predicate: string; object: unknown }) =>
      a.predicate === "capital" && a.object === "Tokyo"
    ),
  );
});

Deno.test("serve --workers 2 runs two worker threads: two shards, one port, stops 0 on SIGTERM", async () => {
  await using data = await tempData();
  const server = spawnStemedb([
    "serve",
    "--workers",
    "2",
    "--port",
    "0",
    "--json",
    "--data",
    data.dir,
  ]);
  let run;
  try {
    const info = JSON.parse(await server.waitFor(isJson));
    assert.equal(info.workers, 2);
    assert.ok(info.port > 0);
    await everyWorkerAnswers(info.url, 2);
    const hashes = await Promise.all(Array.from({ length: 32 }, async (_, i) => {
      const r = await fetch(`${info.url}/assertions?wait=ingested`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(assertionJson("Workers", "n", i)),
      });
      assert.equal(r.status, 201);
      return (await r.json()).hash;
    }));
    assert.equal(new Set(hashes).size, 32);
    const status = await (await fetch(`${info.url}/status`)).json();
    assert.equal(status.shards.length, 2);
  } finally {
    run = await server.finish("SIGTERM");
  }
  assert.equal(run.code, 0, run.stderr);
  const subject = json(
    await stemedb(["query", "subject", "Workers", "--data", data.dir, "--json"]),
  );
  assert.equal(subject.items.length, 32);
});
