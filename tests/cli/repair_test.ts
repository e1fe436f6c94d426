/**
 * `stemedb repair`, the operator's way out of damage to a sealed segment,
 * met as an operator meets it: `verify` (or `ingest`) names the damage,
 * `repair` mends it, and the journal reads and ingests soundly afterwards.
 */

import assert from "node:assert/strict";
import { Journal } from "../../src/wal/mod.ts";
import { isJson, json, type Run, spawnStemedb, stemedb, tempData } from "./_cli.ts";
import { baseOf, build, damageSealed, RECORDS } from "./_sealed_damage.ts";

/** Every record of the journal, read with the library from its first offset. */
async function readAll(wal: string): Promise<{ offset: number; payload: Uint8Array }[]> {
  const journal = await Journal.open(wal, { readOnly: true });
  try {
    const out = [];
    for await (const r of journal.readFrom(journal.firstOffset)) {
      out.push({ offset: r.offset, payload: r.payload });
    }
    return out;
  } finally {
    await journal.close();
  }
}

/** The bytes of every file of the journal but `LOCK` (whose content is the last writer's pid). */
async function journalFiles(wal: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const e of [...Deno.readDirSync(wal)].sort((a, b) => a.name < b.name ? -1 : 1)) {
    if (e.isFile && e.name !== "LOCK") files.set(e.name, await Deno.readFile(`${wal}/${e.name}`));
  }
  return files;
}

function assertVerifyNames(run: Run, segment: string, offset: number) {
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stdout, new RegExp(`segment "[^"]*${segment}" offset ${offset}: crc mismatch`));
  assert.match(run.stderr, /stemedb repair --recovery point-in-time\|skip-corrupt/);
}

Deno.test("repair --recovery skip-corrupt fills a flipped record of a sealed segment: every other record keeps its offset and payload", async () => {
  await using data = await tempData();
  const b = await build(data.dir);
  const victim = await damageSealed(b);
  const d = ["--data", data.dir];
  assertVerifyNames(await stemedb(["verify", ...d]), b.segments[1], victim.offset);

  // The ingestor stalls at the damage, and says how to get out.
  const stalled = await stemedb(["ingest", ...d]);
  assert.equal(stalled.code, 1);
  assert.match(stalled.stderr, new RegExp(`at offset ${victim.offset}: crc mismatch`));
  assert.match(stalled.stderr, /"stemedb verify" lists every problem; stop the writer/);

  // Through `deno task repair`: its permissions are enough.
  const repair = await stemedb(["repair", "--recovery", "skip-corrupt", ...d], { task: true });
  assert.equal(repair.code, 0, repair.stderr);
  const row = new RegExp(
    `^filled +${b.segments[1]} +${victim.offset} +${victim.next - victim.offset} +crc mismatch$`,
    "m",
  );
  assert.match(repair.stdout, row);
  assert.match(repair.stdout, /^action +file +offset +bytes +reason$/m);
  assert.match(repair.stdout, new RegExp(`^end +${b.records.at(-1)!.next}$`, "m"));
  assert.match(repair.stdout, /^recovery +skip-corrupt$/m);

  const verify = await stemedb(["verify", ...d, "--json"]);
  assert.equal(verify.code, 0, verify.stdout);
  assert.deepEqual(json(verify).problems, []);
  const records = await readAll(b.wal);
  assert.deepEqual(records.map((r) => r.offset), b.records.map((r) => r.offset));
  for (const [i, r] of records.entries()) {
    if (r.offset !== victim.offset) assert.deepEqual(r.payload, b.records[i].payload);
  }
  const filler = records.find((r) => r.offset === victim.offset)!;
  assert.equal(JSON.parse(new TextDecoder().decode(filler.payload)).repair, "skip-corrupt");

  // The stall is over: every assertion is applied, the filler dead-lettered.
  const ingest = await stemedb(["ingest", ...d, "--json"]);
  assert.equal(ingest.code, 0, ingest.stderr);
  assert.equal(json(ingest).applied, RECORDS - 1);
  assert.equal(json(ingest).deadLettered, 1);
});

Deno.test("repair --recovery point-in-time cuts at a flipped record of a sealed segment and drops every later segment", async () => {
  await using data = await tempData();
  const b = await build(data.dir);
  const victim = await damageSealed(b);
  const d = ["--data", data.dir];
  assertVerifyNames(await stemedb(["verify", ...d]), b.segments[1], victim.offset);

  const repair = await stemedb(["repair", "--recovery", "point-in-time", ...d, "--json"]);
  assert.equal(repair.code, 0, repair.stderr);
  const report = json(repair);
  assert.equal(report.dir, b.wal);
  assert.equal(report.recovery, "point-in-time");
  assert.equal(report.end, victim.offset);
  const end = b.records.at(-1)!.next;
  const later = b.segments.slice(2);
  // The cut first, then each later segment (newest first), as repairJournal() reports them.
  assert.deepEqual(report.actions, [
    {
      action: "dropped",
      file: `${b.wal}/${b.segments[1]}`,
      offset: victim.offset,
      reason: "crc mismatch",
      bytes: end - victim.offset, // everything from the cut on
    },
    ...later.map((name, i) => ({
      action: "dropped",
      file: `${b.wal}/${name}`,
      offset: baseOf(name),
      reason: "missing segment",
      bytes: (i === later.length - 1 ? end : baseOf(later[i + 1])) - baseOf(name),
    })).reverse(),
  ]);
  assert.deepEqual(
    [...Deno.readDirSync(b.wal)].map((e) => e.name).filter((n) => n.endsWith(".wal")).sort(),
    b.segments.slice(0, 2),
    "every later segment is deleted",
  );

  const text = await stemedb(["verify", ...d]);
  assert.equal(text.code, 0, text.stdout);
  const records = await readAll(b.wal);
  const kept = b.records.filter((r) => r.offset < victim.offset);
  assert.deepEqual(records.map((r) => r.offset), kept.map((r) => r.offset));
  assert.deepEqual(records.map((r) => r.payload), kept.map((r) => r.payload));
});

Deno.test("repair on a journal that verifies prints nothing to repair and changes no file, in either mode", async () => {
  await using data = await tempData();
  const b = await build(data.dir);
  const before = await journalFiles(b.wal);
  for (const mode of ["point-in-time", "skip-corrupt"]) {
    const run = await stemedb(["repair", "--recovery", mode, "--data", data.dir]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^nothing to repair: every record verifies$/m);
    assert.match(run.stdout, new RegExp(`^end +${b.records.at(-1)!.next}$`, "m"));
    assert.doesNotMatch(run.stdout, /^action/m);
    assert.deepEqual(await journalFiles(b.wal), before, mode);
    const asJson = json(
      await stemedb(["repair", "--recovery", mode, "--data", data.dir, "--json"]),
    );
    assert.deepEqual(asJson, {
      dir: b.wal,
      recovery: mode,
      actions: [],
      end: b.records.at(-1)!.next,
      rewound: null,
    });
  }
});

Deno.test("repair without --recovery, or with an unknown mode, is a usage error naming both modes and changes nothing", async () => {
  await using data = await tempData();
  const b = await build(data.dir);
  await damageSealed(b);
  const before = await journalFiles(b.wal);
  const d = ["--data", data.dir];
  for (const args of [[], ["--recovery", "best-effort"], ["--recovery", ""]]) {
    const run = await stemedb(["repair", ...args, ...d]);
    assert.equal(run.code, 2, `repair ${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, /"--recovery"/);
    assert.match(run.stderr, /"point-in-time" or "skip-corrupt"/);
    assert.match(run.stderr, /stemedb repair --help/);
    assert.equal(run.stdout, "");
  }
  const asJson = await stemedb(["repair", "--recovery", "best-effort", ...d, "--json"]);
  assert.equal(asJson.code, 2);
  assert.equal(json(asJson).error.code, "usage");
  assert.match(json(asJson).error.message, /"best-effort"/);
  assert.deepEqual(await journalFiles(b.wal), before);
});

Deno.test("repair while a writer runs is refused naming the holder's pid, and changes nothing", async () => {
  await using data = await tempData();
  const b = await build(data.dir);
  await damageSealed(b);
  const before = await journalFiles(b.wal);
  const server = spawnStemedb(["serve", "--port", "0", "--json", "--data", data.dir]);
  try {
    await server.waitFor(isJson);
    const pid = server.child.pid;
    const run = await stemedb(["repair", "--recovery", "skip-corrupt", "--data", data.dir]);
    assert.equal(run.code, 1);
    assert.ok(run.stderr.includes(`locked by another writer (pid ${pid})`), run.stderr);
    assert.ok(run.stderr.includes(`stop process ${pid}`), run.stderr);
    assert.match(run.stderr, /then run "stemedb repair" again/);
    const asJson = await stemedb([
      "repair",
      "--recovery",
      "skip-corrupt",
      "--data",
      data.dir,
      "--json",
    ]);
    assert.equal(asJson.code, 1);
    assert.equal(json(asJson).error.code, "failure");
    assert.match(json(asJson).error.hint, /stop process/);
  } finally {
    await server.finish("SIGTERM");
  }
  assert.deepEqual(await journalFiles(b.wal), before);
});

Deno.test("repair where there is no journal fails (exit code 1) naming the directory", async () => {
  await using data = await tempData();
  const run = await stemedb(["repair", "--recovery", "skip-corrupt", "--data", data.dir]);
  assert.equal(run.code, 1);
  assert.ok(run.stderr.includes(`Cannot repair journal "${data.dir}/wal"`), run.stderr);
});
