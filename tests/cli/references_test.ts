import assert from "node:assert/strict";
import { assertionJson, hashOf, json, ndjson, stemedb, tempData, TS } from "./_cli.ts";

const voteOn = (assertion: string, voter = "ann") => ({
  type: "vote",
  assertion,
  voter,
  value: 1,
  timestamp: TS,
});
const epoch = (name: string) => ({
  type: "epoch",
  id: "0a",
  name,
  description: "",
  startTime: TS,
});

Deno.test("append refuses a vote on an unknown assertion and appends nothing", async () => {
  await using data = await tempData();
  const d = ["--data", data.dir];
  const missing = "ab".repeat(32);
  const input = ndjson([assertionJson("France", "capital", "Paris"), voteOn(missing)]);
  const run = await stemedb(["append", ...d, "--json"], { stdin: input });
  assert.equal(run.code, 1);
  const report = json(run);
  assert.equal(report.appended, 0);
  assert.deepEqual(report.rejects.map((r: { line: number }) => r.line), [2]);
  assert.equal(report.rejects[0].field, "assertion");
  assert.match(report.rejects[0].reason, /assertion "(ab){32}" is unknown/);
});

Deno.test("append accepts a vote whose assertion is in the store or earlier in the input", async () => {
  await using data = await tempData();
  const d = ["--data", data.dir];
  const paris = assertionJson("France", "capital", "Paris");
  const hash = await hashOf(paris);
  const first = await stemedb(["append", ...d], { stdin: ndjson([paris, voteOn(hash)]) });
  assert.equal(first.code, 0, first.stderr);
  const early = await stemedb(["append", ...d], { stdin: ndjson([voteOn(hash, "bob")]) });
  assert.equal(early.code, 1, "appended, not ingested: not known yet");
  assert.equal((await stemedb(["ingest", ...d])).code, 0);
  const later = await stemedb(["append", ...d], { stdin: ndjson([voteOn(hash, "bob")]) });
  assert.equal(later.code, 0, later.stderr);
});

Deno.test("append --allow-unknown appends references to unknown records, and ingest keeps them", async () => {
  await using data = await tempData();
  const d = ["--data", data.dir];
  const missing = "cd".repeat(32);
  const input = ndjson([
    voteOn(missing),
    { ...assertionJson("France", "capital", "Paris"), epoch: "0f" },
  ]);
  const run = await stemedb(["append", ...d, "--allow-unknown", "--json"], { stdin: input });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(json(run).appended, 2);
  assert.equal(json(await stemedb(["ingest", ...d, "--json"])).applied, 2);
  const votes = json(await stemedb(["query", "votes", missing, ...d, "--json"]));
  assert.equal(votes.votes.length, 1);
});

Deno.test("append --skip-invalid skips a record naming an unknown epoch and appends the rest", async () => {
  await using data = await tempData();
  const d = ["--data", data.dir];
  const input = ndjson([
    { ...assertionJson("France", "capital", "Paris"), epoch: "0a" },
    epoch("modern"),
    { ...assertionJson("France", "capital", "Paris"), epoch: "0a" },
  ]);
  const run = await stemedb(["append", ...d, "--skip-invalid", "--json"], { stdin: input });
  assert.equal(run.code, 0, run.stderr);
  const report = json(run);
  assert.equal(report.appended, 2);
  assert.deepEqual(report.rejects.map((r: { line: number; field: string }) => [r.line, r.field]), [
    [1, "epoch"],
  ]);
});

Deno.test("append refuses an epoch id the store holds with other content, even with --allow-unknown", async () => {
  await using data = await tempData();
  const d = ["--data", data.dir];
  assert.equal((await stemedb(["append", ...d], { stdin: ndjson([epoch("first")]) })).code, 0);
  assert.equal((await stemedb(["ingest", ...d])).code, 0);
  const same = await stemedb(["append", ...d], { stdin: ndjson([epoch("first")]) });
  assert.equal(same.code, 0, "the same content again is fine");
  const clash = await stemedb(["append", ...d, "--allow-unknown"], {
    stdin: ndjson([epoch("second")]),
  });
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /line 1: Cannot accept epoch "0a": an epoch with this id and other/);
});

Deno.test("append checks references across its check groups of 1,000 lines and reports rejects in line order", async () => {
  await using data = await tempData();
  const d = ["--data", data.dir];
  const lines: unknown[] = [];
  for (let i = 0; i < 2_500; i++) lines.push(assertionJson("Group", "n", i));
  const first = await hashOf(lines[9] as Record<string, unknown>);
  lines[1_799] = voteOn(first); // line 1,800 votes on line 10's assertion, two groups back
  lines[1_499] = { type: "assertion" }; // line 1,500: not a record
  lines[2_099] = voteOn("ef".repeat(32)); // line 2,100: on an assertion nobody brought
  const run = await stemedb(["append", ...d, "--json"], { stdin: ndjson(lines) });
  assert.equal(run.code, 1, run.stderr);
  const report = json(run);
  assert.equal(report.appended, 0);
  assert.deepEqual(report.rejects.map((r: { line: number }) => r.line), [1_500, 2_100]);
  assert.equal(report.rejects[1].field, "assertion");
  delete lines[1_499];
  delete lines[2_099];
  const fixed = await stemedb(["append", ...d, "--json"], {
    stdin: ndjson(lines.filter((l) => l !== undefined)),
  });
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.equal(json(fixed).appended, 2_498);
});
