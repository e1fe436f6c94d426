import assert from "node:assert/strict";
import { assertionJson, exitWithin, json, ndjson, stemedb, tempData } from "./cli/_cli.ts";
import { resolveConfig } from "../src/config/data_dir.ts";
import { ingestShards } from "../src/config/shard_ingest.ts";
import { Journal } from "../src/wal/mod.ts";
import { serializeAssertion } from "../src/records/mod.ts";

const CRON = new URL("../cron.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

Deno.test("cron.ts registers its Deno.cron job at top level, ingests every shard at start and stops 0 on SIGINT", async () => {
  await using data = await tempData();
  const input = ndjson([assertionJson("Cron", "at", "start")]);
  assert.equal((await stemedb(["append", "--data", data.dir], { stdin: input })).code, 0);
  const shard = await Journal.open(`${data.dir}/wal-1`);
  await shard.append(serializeAssertion({
    subject: "Cron",
    predicate: "in",
    object: "shard 1",
    source: "test",
    confidence: 0.5,
    timestamp: 1,
  }));
  await shard.close();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, CRON],
    env: { STEMEDB_DATA: data.dir, STEMEDB_KV: "", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (text.split("\n").length < 3) text += (await reader.read()).value ?? "";
  child.kill("SIGINT");
  const status = await exitWithin(child, 10_000);
  await reader.cancel();
  await child.stderr.cancel();
  assert.equal(status.code, 0);
  const runs = text.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(runs.map((r) => [r.cron, r.shard, r.applied]), [
    ["stemedb-ingest", 0, 1],
    ["stemedb-ingest", 1, 1],
  ]);
  const subject = json(await stemedb(["query", "subject", "Cron", "--data", data.dir, "--json"]));
  assert.equal(subject.items.length, 2);
});

Deno.test("ingestShards() runs that overlap apply each record exactly once", async () => {
  await using data = await tempData();
  const config = resolveConfig({ data: data.dir });
  const journal = await Journal.open(config.walDir);
  for (let i = 0; i < 200; i++) {
    await journal.append(serializeAssertion({
      subject: "Overlap",
      predicate: "n",
      object: i,
      source: "test",
      confidence: 0.5,
      timestamp: i,
    }));
  }
  await journal.close();
  const runs = await Promise.all([
    ingestShards(config),
    ingestShards(config),
    ingestShards(config),
  ]);
  assert.equal(runs.reduce((n, r) => n + r[0].applied, 0), 200);
  const subject = json(
    await stemedb(["query", "subject", "Overlap", "--limit", "1000", "--data", data.dir, "--json"]),
  );
  assert.equal(subject.items.length, 200);
});
