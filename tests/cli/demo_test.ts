import assert from "node:assert/strict";
import { json, stemedb, tempData } from "./_cli.ts";

async function journalRecords(dir: string): Promise<{ records: number; bytes: number }> {
  const verified = json(await stemedb(["verify", "--data", dir, "--json"]));
  assert.equal(verified.sound, true);
  return { records: verified.records, bytes: verified.durableOffset };
}

Deno.test("demo run a second time appends nothing: the journal keeps its size and record count", async () => {
  await using data = await tempData();
  const first = json(await stemedb(["demo", "--data", data.dir, "--json"]));
  assert.equal(first.append.appended, first.records.total);
  assert.equal(first.append.skipped, 0);
  const after = await journalRecords(data.dir);
  assert.equal(after.records, first.records.total);

  const second = await stemedb(["demo", "--data", data.dir, "--json"]);
  assert.equal(second.code, 0, second.stderr);
  const doc = json(second);
  assert.equal(doc.append.appended, 0);
  assert.equal(doc.append.skipped, first.records.total);
  assert.equal(doc.ingest.applied, 0);
  assert.deepEqual(await journalRecords(data.dir), after);
  assert.equal(doc.samples.votes.tally.count, 4, "the sample queries still answer");
});

Deno.test("demo says in its human output how many records were already stored", async () => {
  await using data = await tempData();
  await stemedb(["demo", "--data", data.dir]);
  const again = await stemedb(["demo", "--data", data.dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /: 0 appended, \d+ already stored or repeated/);
});

Deno.test("demo over a journal whose records are not in KV ingests them and appends nothing", async () => {
  await using data = await tempData();
  const first = json(await stemedb(["demo", "--data", data.dir, "--json"]));
  const before = await journalRecords(data.dir);
  // A fresh KV: the journal still holds every demo record, not yet applied there.
  const run = await stemedb([
    "demo",
    "--data",
    data.dir,
    "--kv",
    `${data.dir}/other.sqlite`,
    "--json",
  ]);
  assert.equal(run.code, 0, run.stderr);
  const doc = json(run);
  assert.equal(doc.ingest.applied, first.records.total, "the journal's records were ingested");
  assert.equal(doc.append.appended, 0);
  assert.deepEqual(await journalRecords(data.dir), before);
});
