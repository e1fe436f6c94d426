// `stemedb ingest` against a remote Deno KV (the KV Connect test server) that
// is down, refuses the token, goes away mid-run, or is shared by two journals.
import assert from "node:assert/strict";
import { Journal } from "../../src/wal/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import { startKvConnectServer, waitFor } from "../support/kv_connect/mod.ts";
import { writeMixedLog } from "../ingest/_log.ts";
import { json, spawnStemedb, stemedb, tempData } from "./_cli.ts";

/** Write `n` mixed records into `<dir>/wal`; returns the journal's id, end and counts. */
async function journalIn(dir: string, n: number) {
  const journal = await Journal.open(`${dir}/wal`);
  try {
    const log = await writeMixedLog(journal, n);
    return { id: journal.id, end: journal.durableOffset, ...log };
  } finally {
    await journal.close();
  }
}

Deno.test("ingest against a remote that is down exits 1 within about the deadline, naming the call and the URL", async () => {
  await using data = await tempData();
  await journalIn(data.dir, 10);
  await using server = await startKvConnectServer({ faults: { down: "503" } });
  const started = performance.now();
  const run = await stemedb([
    "ingest",
    "--data",
    data.dir,
    "--kv",
    server.url,
    "--kv-timeout",
    "1000",
  ], {
    env: { DENO_KV_ACCESS_TOKEN: server.token },
  });
  const elapsed = performance.now() - started;
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stderr,
    /Deno KV call "open" to "http:\/\/127\.0\.0\.1:\d+" did not succeed within 1000 ms/,
  );
  assert.doesNotMatch(run.stderr, new RegExp(server.token));
  assert.ok(elapsed < 10_000, `exited after ${Math.round(elapsed)} ms`);
  assert.ok(server.stats.requests.metadata >= 2, "opening retried");
});

Deno.test("ingest with a wrong token exits 1 at once naming DENO_KV_ACCESS_TOKEN", async () => {
  await using data = await tempData();
  await journalIn(data.dir, 10);
  await using server = await startKvConnectServer();
  const run = await stemedb(["ingest", "--data", data.dir, "--kv", server.url], {
    env: { DENO_KV_ACCESS_TOKEN: "not-the-token" },
  });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /access token refused \(check DENO_KV_ACCESS_TOKEN\)/);
  assert.equal(server.stats.requests.metadata, 1);
});

Deno.test("ingest against a remote gone for good mid-run exits 1 with the deadline error (STEMEDB_KV_TIMEOUT_MS)", async () => {
  await using data = await tempData();
  await journalIn(data.dir, 2000);
  const server = await startKvConnectServer({ faults: { latency: { ms: 30 } } });
  const child = spawnStemedb(["ingest", "--data", data.dir, "--kv", server.url], {
    DENO_KV_ACCESS_TOKEN: server.token,
    STEMEDB_KV_TIMEOUT_MS: "1000",
  });
  await waitFor("a first commit", () => server.stats.appliedWrites > 0, 30_000);
  await server.close();
  const gone = performance.now();
  const run = await child.finish();
  const elapsed = performance.now() - gone;
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stderr,
    /Deno KV call "\w+" to "http:\/\/127\.0\.0\.1:\d+" did not succeed within 1000 ms/,
  );
  // The call in flight meets its deadline, then the read that would settle it meets its own.
  assert.ok(elapsed < 5_000, `exited ${Math.round(elapsed)} ms after the remote went away`);
});

Deno.test("Two journals ingested by two processes into one remote KV under faults each land once", async () => {
  await using a = await tempData();
  await using b = await tempData();
  const journals = [await journalIn(a.dir, 600), await journalIn(b.dir, 600)];
  await using server = await startKvConnectServer({
    faults: { lostAfterApply: { rate: 0.2 }, cutAfterApply: { rate: 0.2, on: ["atomic_write"] } },
  });
  const runs = await Promise.all(
    [a, b].map((d) =>
      stemedb(["ingest", "--json", "--data", d.dir, "--kv", server.url], {
        env: { DENO_KV_ACCESS_TOKEN: server.token },
      })
    ),
  );
  const store = await KvStore.open(server.kv);
  try {
    for (const [i, run] of runs.entries()) {
      assert.equal(run.code, 0, run.stderr);
      const doc = json(run);
      assert.equal(
        doc.applied,
        journals[i].records - journals[i].poison,
        "applied counts what landed",
      );
      assert.equal(doc.deadLettered, journals[i].poison);
      assert.equal((await store.readCursor(journals[i].id)).offset, journals[i].end);
      assert.equal((await store.deadLetters(journals[i].id)).length, journals[i].poison);
    }
    assert.equal((await store.cursors()).length, 2);
    assert.ok(server.stats.faults.lostAfterApply + server.stats.faults.cutAfterApply > 0);
  } finally {
    store.close();
  }
});

Deno.test("ingest --kv-timeout refuses a value that is not milliseconds >= 1", async () => {
  await using data = await tempData();
  for (const value of ["0", "fast"]) {
    const run = await stemedb(["ingest", "--data", data.dir, "--kv-timeout", value]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /Invalid value for option "--kv-timeout": expected milliseconds >= 1/);
  }
});
