/**
 * Progress bars of the long commands (append, ingest, verify, repair,
 * migrate): drawn on a terminal (a pseudo-terminal from `script`), one per
 * phase with its rate and time left; never when stderr is a pipe or with
 * `--json`. `STEMEDB_PROGRESS_MS=0` redraws on every update, so small inputs
 * show what a large one shows over minutes.
 */

import assert from "node:assert/strict";
import { contentHash, serializeAssertion, serializeVote } from "../../src/records/mod.ts";
import { Journal } from "../../src/wal/mod.ts";
import { assertionJson, json, ndjson, stemedb, tempData, TS } from "./_cli.ts";
import { drewProgress, finalLines, finishedBar, onTerminal, runningBar } from "./_terminal.ts";

const RECORDS = 2_000;

async function writeInput(dir: string): Promise<string> {
  const file = `${dir}/claims.ndjson`;
  await Deno.writeTextFile(
    file,
    ndjson(Array.from({ length: RECORDS }, (_, i) => assertionJson(`s${i}`, "p", i))),
  );
  return file;
}

/** A journal of `<data>/wal` in segments of 1 KiB, so a full scan reads it in many steps. */
async function segmentedJournal(dataDir: string): Promise<{ wal: string; segments: string[] }> {
  const wal = `${dataDir}/wal`;
  const journal = await Journal.open(wal, { segmentBytes: 1024 });
  await journal.appendBatch(Array.from({ length: 60 }, (_, i) =>
    serializeAssertion({
      subject: `subject ${i}`,
      predicate: "index",
      object: i,
      source: "progress test",
      confidence: 0.5,
      timestamp: TS,
    })));
  await journal.close();
  const segments = [...Deno.readDirSync(wal)].map((e) => e.name).filter((n) => n.endsWith(".wal"))
    .sort();
  assert.ok(segments.length >= 5, `several segments, got ${segments.length}`);
  return { wal, segments };
}

Deno.test("append and ingest draw one bar per phase with rate and ETA on a terminal", async () => {
  await using data = await tempData();
  const file = await writeInput(data.dir);
  const append = await onTerminal(["append", file, "--data", data.dir]);
  assert.equal(append.code, 0, append.output);
  assert.match(append.output, runningBar("validate"));
  assert.match(append.output, runningBar("append"));
  const lines = finalLines(append.output);
  // Each finished phase keeps its line, with what it took: validate, then append.
  const phases = lines.filter((l) => /^(validate|append) {2}\[/.test(l));
  assert.equal(phases.length, 2, append.output);
  assert.match(phases[0], finishedBar("validate"));
  assert.match(phases[1], finishedBar("append"));
  assert.match(phases[0], /(\d+\.\d) KiB of \1 KiB/);
  assert.ok(lines.some((l) => new RegExp(`^appended +${RECORDS} records`).test(l)), append.output);

  const ingest = await onTerminal(["ingest", "--data", data.dir]);
  assert.equal(ingest.code, 0, ingest.output);
  // Records applied of the records behind, estimated from the mean record size so far.
  assert.match(ingest.output, runningBar("ingest"));
  const ingested = finalLines(ingest.output).filter((l) => l.startsWith("ingest  "));
  assert.equal(ingested.length, 1, ingest.output);
  assert.match(ingested[0], finishedBar("ingest"));
  assert.match(ingested[0], /2,000 of 2,000 {2}[\d,]+ rec\/s/);
});

Deno.test("append and ingest draw no progress when stderr is a pipe, nor with --json on a terminal", async () => {
  await using data = await tempData();
  const file = await writeInput(data.dir);
  // The same input draws its bars on a terminal (the test above).
  const env = { STEMEDB_PROGRESS_MS: "0" };
  const piped = await stemedb(["append", file, "--data", `${data.dir}/a`], { env });
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stderr, "", "stderr is a pipe: nothing but errors goes there");
  const pipedIngest = await stemedb(["ingest", "--data", `${data.dir}/a`], { env });
  assert.equal(pipedIngest.code, 0, pipedIngest.stderr);
  assert.equal(pipedIngest.stderr, "");

  const b = ["--data", `${data.dir}/b`, "--json"];
  const appended = await onTerminal(["append", file, ...b]);
  assert.equal(appended.code, 0, appended.output);
  assert.ok(!drewProgress(appended.output), appended.output);
  assert.equal(JSON.parse(appended.output).appended, RECORDS);
  const ingested = await onTerminal(["ingest", ...b]);
  assert.equal(ingested.code, 0, ingested.output);
  assert.ok(!drewProgress(ingested.output), ingested.output);
  assert.equal(JSON.parse(ingested.output).applied, RECORDS);
});

Deno.test("verify draws a bar of the segment bytes read with rate and ETA on a terminal, none piped or with --json", async () => {
  await using data = await tempData();
  await segmentedJournal(data.dir);
  const d = ["--data", data.dir];
  const verify = await onTerminal(["verify", ...d]);
  assert.equal(verify.code, 0, verify.output);
  assert.match(verify.output, runningBar("verify"));
  const bars = finalLines(verify.output).filter((l) => l.startsWith("verify  "));
  assert.equal(bars.length, 1, verify.output);
  assert.match(bars[0], finishedBar("verify"));

  const asJson = await onTerminal(["verify", ...d, "--json"]);
  assert.equal(asJson.code, 0, asJson.output);
  assert.ok(!drewProgress(asJson.output), asJson.output);
  assert.equal(JSON.parse(asJson.output).sound, true);
  const piped = await stemedb(["verify", ...d], { env: { STEMEDB_PROGRESS_MS: "0" } });
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stderr, "");
});

Deno.test("repair draws a bar of the segment bytes read with rate and ETA on a terminal, none piped or with --json", async () => {
  await using data = await tempData();
  const { wal, segments } = await segmentedJournal(data.dir);
  // Damage in a sealed segment: skip-corrupt fills it, so the next run still has all to read.
  const path = `${wal}/${segments[1]}`;
  const bytes = await Deno.readFile(path);
  bytes[100] ^= 0xff;
  await Deno.writeFile(path, bytes);
  const d = ["--data", data.dir, "--recovery", "skip-corrupt"];

  const repair = await onTerminal(["repair", ...d]);
  assert.equal(repair.code, 0, repair.output);
  assert.match(repair.output, runningBar("repair"));
  const bars = finalLines(repair.output).filter((l) => l.startsWith("repair  "));
  assert.equal(bars.length, 1, repair.output);
  assert.match(bars[0], finishedBar("repair"));
  assert.match(repair.output, /filled/);

  const asJson = await onTerminal(["repair", ...d, "--json"]);
  assert.equal(asJson.code, 0, asJson.output);
  assert.ok(!drewProgress(asJson.output), asJson.output);
  assert.deepEqual(JSON.parse(asJson.output).actions, []);
  const piped = await stemedb(["repair", ...d], { env: { STEMEDB_PROGRESS_MS: "0" } });
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stderr, "");
});

/** A store as the earlier layout wrote it: only vote payloads under `V`, `n` per assertion. */
async function layoutOneStore(path: string, assertions: number, votesEach: number) {
  const kv = await Deno.openKv(path);
  try {
    for (let a = 0; a < assertions; a++) {
      const assertion = await contentHash(new TextEncoder().encode(`target ${a}`));
      const op = kv.atomic();
      for (let v = 0; v < votesEach; v++) {
        const payload = serializeVote({ assertion, voter: `v${v}`, value: 1, timestamp: v });
        op.set(["V", assertion, await contentHash(payload)], payload);
      }
      assert.ok((await op.commit()).ok);
    }
  } finally {
    kv.close();
  }
}

Deno.test("migrate counts its work first, then draws one bar of the keys moved and votes read with rate and ETA on a terminal", async () => {
  await using data = await tempData();
  // 30 assertions of 50 votes in the first layout: their keys move, then the votes are read.
  await layoutOneStore(`${data.dir}/kv.sqlite`, 30, 50);
  const migrate = await onTerminal(["migrate", "--data", data.dir]);
  assert.equal(migrate.code, 0, migrate.output);
  assert.match(migrate.output, runningBar("migrate"));
  const bars = finalLines(migrate.output).filter((l) => /^migrate {2}\[/.test(l));
  assert.equal(bars.length, 1, migrate.output);
  assert.match(bars[0], finishedBar("migrate"));
  const [, done, total] = bars[0].match(/([\d,]+) of ([\d,]+) {2}[\d,]+ rec\/s/) ?? [];
  assert.equal(done, total, bars[0]);
  // The keys holding a hash moved, then the 1,500 votes read.
  assert.ok(Number(total.replaceAll(",", "")) > 1_500, bars[0]);
});

Deno.test("migrate draws no progress when stderr is a pipe, nor with --json on a terminal", async () => {
  await using data = await tempData();
  await layoutOneStore(`${data.dir}/a.sqlite`, 30, 50);
  await layoutOneStore(`${data.dir}/b.sqlite`, 30, 50);
  const asJson = await onTerminal(["migrate", "--kv", `${data.dir}/a.sqlite`, "--json"]);
  assert.equal(asJson.code, 0, asJson.output);
  assert.ok(!drewProgress(asJson.output), asJson.output);
  assert.equal(JSON.parse(asJson.output).votes, 1_500);
  const piped = await stemedb(["migrate", "--kv", `${data.dir}/b.sqlite`, "--json"], {
    env: { STEMEDB_PROGRESS_MS: "0" },
  });
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stderr, "");
  assert.equal(json(piped).votes, 1_500);
});

Deno.test("A phase quicker than three redraw intervals draws nothing on a terminal", async () => {
  await using data = await tempData();
  const file = `${data.dir}/one.ndjson`;
  await Deno.writeTextFile(file, ndjson([assertionJson("Japan", "capital", "Tokyo")]));
  // The default interval (100 ms): one line validates and appends in well under 300 ms.
  const run = await onTerminal(["append", file, "--data", data.dir], { STEMEDB_PROGRESS_MS: "" });
  assert.equal(run.code, 0, run.output);
  assert.ok(!drewProgress(run.output), run.output);
  assert.match(run.output, /appended +1 records/);
});

Deno.test("STEMEDB_PROGRESS_MS that is not milliseconds is a usage error naming the variable", async () => {
  await using data = await tempData();
  const file = await writeInput(data.dir);
  const run = await onTerminal(["append", file, "--data", data.dir], {
    STEMEDB_PROGRESS_MS: "fast",
  });
  assert.equal(run.code, 2, run.output);
  assert.match(run.output, /Invalid STEMEDB_PROGRESS_MS "fast" in the environment/);
});
