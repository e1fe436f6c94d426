// Damage in a sealed segment of a real journal, opened in the default mode so
// that only the reader meets it: the ingestor stops applying the journal and
// reports where and why, instead of spinning on it.
import assert from "node:assert/strict";
import { CorruptJournalError, Journal } from "../../src/wal/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import { collectStatus, Ingestor } from "../../src/ingest/mod.ts";
import { createApp } from "../../src/http/mod.ts";
import { assertionPayload } from "./_helpers.ts";
import { json, stemedb } from "../cli/_cli.ts";

/** A data dir whose journal's second segment (sealed) has one payload byte flipped. */
async function damagedData(): Promise<{ dir: string; file: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "stemedb-stall-" });
  const journal = await Journal.open(`${dir}/wal`, { segmentBytes: 4096 });
  for (let i = 0; i < 200; i++) await journal.append(assertionPayload(i));
  const segments = await journal.segments();
  await journal.close();
  const sealed = segments.filter((s) => s.sealed);
  assert.ok(sealed.length >= 3, "several sealed segments");
  const file = sealed[1].path;
  const bytes = await Deno.readFile(file);
  bytes[bytes.length - 10] ^= 0xff; // inside the segment's last record payload
  await Deno.writeFile(file, bytes);
  return { dir, file, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("Ingestor stalls at damage in a sealed segment, reports it in lag() and does not spin", async () => {
  await using data = await damagedData();
  const journal = await Journal.open(`${data.dir}/wal`, { segmentBytes: 4096 });
  const store = await KvStore.open(`${data.dir}/kv.sqlite`);
  try {
    const ingestor = new Ingestor(journal, store, { batchRecords: 5 });
    const error = await ingestor.runOnce().then(() => assert.fail("passed the damage"), (e) => e);
    assert.ok(error instanceof CorruptJournalError, String(error));
    assert.equal(error.file, data.file);
    const stalled = {
      kind: "corrupt-journal",
      file: error.file,
      offset: error.offset,
      reason: error.reason,
    };
    assert.deepEqual(ingestor.stalled, stalled);
    const cursor = (await store.readCursor(journal.id)).offset!;
    assert.ok(cursor > journal.firstOffset && cursor <= error.offset, "applied up to the damage");
    const lag = await ingestor.lag();
    assert.deepEqual(lag.stalled, stalled);
    assert.ok(lag.bytes > 0);
    // Sticky: the next pass fails the same way without reading or committing.
    await assert.rejects(ingestor.runOnce(), (e) => e === error);
    assert.equal((await store.readCursor(journal.id)).offset, cursor);
    // The background loop meets it once, then waits for stop() without retrying.
    const errors: unknown[] = [];
    const looping = new Ingestor(journal, store, {
      pollIntervalMs: 5,
      onError: (e) => errors.push(e),
    });
    looping.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof CorruptJournalError);
    assert.equal(looping.running, true);
    await looping.stop();
    assert.equal(looping.running, false);
    // A writer keeps appending: only the reader met the damage.
    await journal.append(assertionPayload(1000));
  } finally {
    store.close();
    await journal.close();
  }
});

Deno.test("collectStatus(), GET /status and GET /health report an ingestor stalled at damage", async () => {
  await using data = await damagedData();
  const journal = await Journal.open(`${data.dir}/wal`, { segmentBytes: 4096 });
  const store = await KvStore.open(`${data.dir}/kv.sqlite`);
  try {
    const ingestor = new Ingestor(journal, store);
    const app = createApp({ journal, store, ingestor });
    const healthy = await app.fetch(new Request("http://localhost/health"));
    assert.equal(healthy.status, 200);
    assert.equal((await healthy.json()).ok, true);
    const error = await ingestor.runOnce().then(() => assert.fail("passed"), (e) => e);
    const stalled = {
      kind: "corrupt-journal",
      file: data.file,
      offset: error.offset,
      reason: error.reason,
    };
    // Counting the records behind the cursor meets the same damage, ingestor or not.
    assert.deepEqual((await collectStatus(journal, store)).ingest.stalled, stalled);
    const status = await (await app.fetch(new Request("http://localhost/status"))).json();
    assert.deepEqual(status.ingest.stalled, stalled);
    const health = await app.fetch(new Request("http://localhost/health"));
    assert.equal(health.status, 503);
    const body = await health.json();
    assert.equal(body.ok, false);
    assert.equal(body.ingestor, "stalled");
    assert.deepEqual(body.stalled, stalled);
  } finally {
    store.close();
    await journal.close();
  }
});

Deno.test("deno task status shows where ingestion stalled at damage and names repair as the way out", async () => {
  await using data = await damagedData();
  const ingest = await stemedb(["ingest", "--data", data.dir]);
  assert.equal(ingest.code, 1);
  assert.match(ingest.stderr, /Corrupt journal record in ".*" at offset \d+/);
  const report = json(await stemedb(["status", "--json", "--data", data.dir]));
  assert.equal(report.ingest.stalled.file, data.file);
  const text = await stemedb(["status", "--data", data.dir]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(
    text.stdout,
    new RegExp(
      `stalled\\s+at offset ${report.ingest.stalled.offset}: .*; stop the writer and run ` +
        '"stemedb repair --recovery point-in-time\\|skip-corrupt"',
    ),
  );
});
