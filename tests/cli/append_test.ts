import assert from "node:assert/strict";
import { assertionJson, json, ndjson, stemedb, tempData } from "./_cli.ts";

const GOOD = ndjson([
  assertionJson("France", "capital", "Paris"),
  assertionJson("France", "continent", "Europe"),
  assertionJson("Japan", "capital", "Tokyo"),
]);

Deno.test("deno task append appends good NDJSON from a file and prints a summary", async () => {
  await using data = await tempData();
  const file = `${data.dir}/good.ndjson`;
  await Deno.writeTextFile(file, GOOD);
  const run = await stemedb(["append", file, "--data", data.dir, "--json"], { task: true });
  assert.equal(run.code, 0, run.stderr);
  const summary = json(run);
  assert.equal(summary.appended, 3);
  assert.equal(summary.rejected, 0);
  assert.equal(summary.firstOffset, 0);
  assert.ok(summary.nextOffset > 0);
  assert.equal(typeof summary.recordsPerSecond, "number");
});

Deno.test("append reads stdin and prints a human summary", async () => {
  await using data = await tempData();
  const run = await stemedb(["append", "--data", data.dir], { stdin: GOOD });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /appended\s+3 records/);
  assert.match(run.stdout, /rate/);
});

Deno.test("append with bad lines appends nothing and names each bad line", async () => {
  await using data = await tempData();
  const ok = await stemedb(["append", "--data", data.dir, "--json"], { stdin: GOOD });
  const before = json(ok).nextOffset;
  const bad = ndjson([
    assertionJson("Italy", "capital", "Rome"),
    "{not json",
    { ...assertionJson("Spain", "capital", "Madrid"), confidence: 3 },
    assertionJson("Peru", "capital", "Lima"),
  ]);
  const run = await stemedb(["append", "--data", data.dir], { stdin: bad });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^line 2: .*JSON/m);
  assert.match(run.stderr, /^line 3: .*confidence/m);
  assert.doesNotMatch(run.stderr, /line [14]:/);
  assert.match(run.stderr, /Appended nothing/);
  const status = await stemedb(["status", "--data", data.dir, "--json"]);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(json(status).journal.durableOffset, before);
});

Deno.test("append --skip-invalid appends the valid lines and writes the rejects file", async () => {
  await using data = await tempData();
  const input = ndjson([
    assertionJson("Italy", "capital", "Rome"),
    { type: "vote", voter: "ann" },
    "",
    assertionJson("Peru", "capital", "Lima"),
    "[1,2",
  ]);
  const rejects = `${data.dir}/rejects.ndjson`;
  const run = await stemedb(
    ["append", "--data", data.dir, "--skip-invalid", "--rejects", rejects, "--json"],
    { stdin: input },
  );
  assert.equal(run.code, 0, run.stderr);
  const summary = json(run);
  assert.equal(summary.appended, 2);
  assert.equal(summary.rejected, 2);
  const lines = (await Deno.readTextFile(rejects)).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.line), [2, 5]);
  assert.ok(lines.every((l) => typeof l.reason === "string" && l.reason.length > 0));
  assert.equal(lines[0].text, JSON.stringify({ type: "vote", voter: "ann" }));
});

Deno.test("append --rejects without --skip-invalid is a usage error", async () => {
  const run = await stemedb(["append", "--rejects", "x.ndjson"], { stdin: GOOD });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--skip-invalid/);
});

Deno.test("append reports a line of invalid UTF-8 by number and appends nothing", async () => {
  await using data = await tempData();
  const file = `${data.dir}/bad.ndjson`;
  const good = new TextEncoder().encode(ndjson([assertionJson("A", "b", "c")]));
  await Deno.writeFile(file, new Uint8Array([...good, 0xff, 0xfe, 0x0a]));
  const run = await stemedb(["append", file, "--data", data.dir]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^line 2: Not valid UTF-8$/m);
  assert.match(run.stderr, /Appended nothing/);
});
