import assert from "node:assert/strict";
import { assertionJson, json, ndjson, stemedb, tempData } from "./_cli.ts";
import { MAX_LINE_BYTES } from "../../src/cli/append.ts";

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

/** A file of one good line, one line of `hugeBytes` bytes, then one good line. */
async function fileWithHugeLine(dir: string, hugeBytes: number): Promise<string> {
  const path = `${dir}/huge.ndjson`;
  const file = await Deno.open(path, { write: true, create: true });
  const encoder = new TextEncoder();
  await file.write(encoder.encode(ndjson([assertionJson("A", "before", "x")]) + '{"subject":"'));
  const chunk = new Uint8Array(1024 * 1024).fill(0x61);
  for (let done = 0; done < hugeBytes; done += chunk.byteLength) await file.write(chunk);
  await file.write(encoder.encode('"}\n' + ndjson([assertionJson("A", "after", "y")])));
  file.close();
  return path;
}

Deno.test("append refuses a 64 MiB line by number and appends nothing", async () => {
  await using data = await tempData();
  const file = await fileWithHugeLine(data.dir, 64 * 1024 * 1024);
  const run = await stemedb(["append", file, "--data", data.dir, "--json"]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, new RegExp(`^line 2: Longer than ${MAX_LINE_BYTES} bytes$`, "m"));
  const summary = json(run);
  assert.equal(summary.appended, 0);
  assert.deepEqual(summary.rejects.map((r: { line: number }) => r.line), [2]);
});

Deno.test("append --skip-invalid rejects a 64 MiB line and a non-UTF-8 line, appends the rest, exits 0", async () => {
  await using data = await tempData();
  const file = await fileWithHugeLine(data.dir, 64 * 1024 * 1024);
  await Deno.writeFile(file, new Uint8Array([0xc3, 0x28, 0x0a]), { append: true });
  await Deno.writeTextFile(file, ndjson([assertionJson("A", "last", "z")]), { append: true });
  const rejects = `${data.dir}/rejects.ndjson`;
  const run = await stemedb(
    ["append", file, "--data", data.dir, "--skip-invalid", "--rejects", rejects, "--json"],
  );
  assert.equal(run.code, 0, run.stderr);
  const summary = json(run);
  assert.equal(summary.appended, 3);
  assert.deepEqual(
    summary.rejects.map((r: { line: number; reason: string }) => [r.line, r.reason]),
    [[2, `Longer than ${MAX_LINE_BYTES} bytes`], [4, "Not valid UTF-8"]],
  );
  const written = (await Deno.readTextFile(rejects)).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(written.map((r) => r.line), [2, 4]);
});

Deno.test("append --skip-invalid treats 500 lines of bad UTF-8 among 1,500 as rejects, not a failure", async () => {
  await using data = await tempData();
  const encoder = new TextEncoder();
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (let i = 1; i <= 1500; i++) {
    parts.push(
      i % 3 === 0
        ? new Uint8Array([0x7b, 0xff, 0x7d, 0x0a])
        : encoder.encode(JSON.stringify(assertionJson(`s${i}`, "p", i)) + "\n"),
    );
  }
  const file = `${data.dir}/mixed.ndjson`;
  await Deno.writeFile(file, new Uint8Array(await new Blob(parts).arrayBuffer()));
  const run = await stemedb(["append", file, "--data", data.dir, "--skip-invalid", "--json"]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(json(run).appended, 1000);
  assert.equal(json(run).rejected, 500);
  const verify = await stemedb(["verify", "--data", data.dir, "--json"]);
  assert.equal(json(verify).records, 1000);
});
