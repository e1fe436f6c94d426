/**
 * A journal cut below the ingest cursor, met through the real command line:
 * `repair --recovery point-in-time` moves the cursor back itself; a cut made
 * otherwise (the library's `repairJournal()`) stops `ingest` and shows in
 * `status` until `ingest --rewind-cursor` moves it back.
 */

import assert from "node:assert/strict";
import { repairJournal } from "../../src/wal/mod.ts";
import { assertionJson, json, ndjson, stemedb, tempData } from "./_cli.ts";
import { build, damageSealed, RECORDS } from "./_sealed_damage.ts";

/** Every record of the journal ingested, then damage in a sealed segment: the cursor at the end. */
async function ingestedThenDamaged(dir: string) {
  const b = await build(dir);
  const ingest = await stemedb(["ingest", "--data", dir, "--json"]);
  assert.equal(ingest.code, 0, ingest.stderr);
  assert.equal(json(ingest).applied, RECORDS);
  const victim = await damageSealed(b);
  return { ...b, cursor: b.records.at(-1)!.next, cut: victim.offset };
}

/** Append one assertion about `subject` through the CLI, ingest, and query it. */
async function appendIngestQuery(dir: string, subject: string) {
  const d = ["--data", dir];
  const appended = await stemedb(["append", ...d, "--json"], {
    stdin: ndjson([assertionJson(subject, "after", "the cut")]),
  });
  assert.equal(appended.code, 0, appended.stderr);
  const ingest = await stemedb(["ingest", ...d, "--json"]);
  assert.equal(ingest.code, 0, ingest.stderr);
  assert.equal(json(ingest).applied, 1);
  const query = await stemedb(["query", "subject", subject, ...d, "--json"]);
  assert.equal(query.code, 0, query.stderr);
  return { offset: json(appended).firstOffset, items: json(query).items };
}

Deno.test("repair --recovery point-in-time below the ingest cursor moves the cursor back to the cut, so what is appended next is ingested", async () => {
  await using data = await tempData();
  const b = await ingestedThenDamaged(data.dir);
  const d = ["--data", data.dir];
  const repair = await stemedb(["repair", "--recovery", "point-in-time", ...d, "--json"]);
  assert.equal(repair.code, 0, repair.stderr);
  assert.equal(json(repair).end, b.cut);
  assert.deepEqual(json(repair).rewound, { from: b.cursor, to: b.cut });

  const status = json(await stemedb(["status", ...d, "--json"]));
  assert.equal(status.ingest.cursor, b.cut);
  assert.equal(status.ingest.stalled, null);
  const { offset, items } = await appendIngestQuery(data.dir, "Atlantis");
  assert.equal(offset, b.cut, "appended at the cut, below the old cursor");
  assert.equal(items.length, 1);
});

Deno.test("repair prints the cursor it moved back, and moves none without a store or a cut", async () => {
  await using data = await tempData();
  const b = await ingestedThenDamaged(data.dir);
  const repair = await stemedb(["repair", "--recovery", "point-in-time", "--data", data.dir]);
  assert.equal(repair.code, 0, repair.stderr);
  assert.match(
    repair.stdout,
    new RegExp(
      `^ingest cursor +moved back from ${b.cursor} to ${b.cut} in "${data.dir}/kv.sqlite"$`,
      "m",
    ),
  );
  // Nothing left to repair: no cut, so the cursor (now at the end) is left alone.
  const again = json(
    await stemedb(["repair", "--recovery", "point-in-time", "--data", data.dir, "--json"]),
  );
  assert.deepEqual([again.actions, again.rewound], [[], null]);

  // A journal never ingested has no store: none is created.
  await using other = await tempData();
  const c = await build(other.dir);
  await damageSealed(c);
  const run = await stemedb([
    "repair",
    "--recovery",
    "point-in-time",
    "--data",
    other.dir,
    "--json",
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(json(run).rewound, null);
  await assert.rejects(Deno.stat(`${other.dir}/kv.sqlite`), Deno.errors.NotFound);
});

Deno.test("ingest refuses a cursor past the durable end of a cut journal (exit code 1), status shows it, and ingest --rewind-cursor moves it back", async () => {
  await using data = await tempData();
  const b = await ingestedThenDamaged(data.dir);
  // Cut by the library, which knows nothing of the store: the cursor stays past the end.
  const repaired = await repairJournal(b.wal, { recovery: "point-in-time" });
  assert.equal(repaired.end, b.cut);
  const d = ["--data", data.dir];

  const refused = await stemedb(["ingest", ...d]);
  assert.equal(refused.code, 1);
  assert.ok(
    refused.stderr.includes(
      `Cannot ingest journal "${b.wal}": its cursor ${b.cursor} is past the journal's durable end ${b.cut}`,
    ),
    refused.stderr,
  );
  assert.match(refused.stderr, /"stemedb ingest --rewind-cursor"/);
  const status = await stemedb(["status", ...d, "--json"]);
  assert.equal(status.code, 0, status.stderr);
  assert.deepEqual(json(status).ingest.stalled, {
    kind: "cursor-ahead",
    file: b.wal,
    offset: b.cursor,
    reason: `cursor past the durable end ${b.cut}`,
    durableOffset: b.cut,
  });
  const text = await stemedb(["status", ...d]);
  assert.match(
    text.stdout,
    new RegExp(
      `^stalled +cursor ${b.cursor} is past the durable end ${b.cut}: .*--rewind-cursor`,
      "m",
    ),
  );

  const rewound = await stemedb(["ingest", "--rewind-cursor", ...d, "--json"]);
  assert.equal(rewound.code, 0, rewound.stderr);
  assert.deepEqual(json(rewound).rewound, { from: b.cursor, to: b.cut });
  assert.equal(json(rewound).applied, 0);
  assert.ok(rewound.stderr.includes(`back from ${b.cursor} to its durable end ${b.cut}`));
  const again = await stemedb(["ingest", "--rewind-cursor", ...d, "--json"]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(json(again).rewound, null);
  assert.match(again.stderr, /is not past its durable end \d+: nothing to rewind/);

  const { offset, items } = await appendIngestQuery(data.dir, "Lemuria");
  assert.equal(offset, b.cut);
  assert.equal(items.length, 1);
});
