import assert from "node:assert/strict";
import { Journal } from "../../src/wal/mod.ts";
import { assertionJson, hashOf, json, ndjson, stemedb, tempData, TS } from "./_cli.ts";

Deno.test("append, ingest, status and every kind of query work together", async () => {
  await using data = await tempData();
  const d = ["--data", data.dir];
  const paris = assertionJson("France", "capital", "Paris");
  const parisHash = await hashOf(paris);
  const epoch = { type: "epoch", id: "c0ffee", name: "modern", description: "now", startTime: TS };
  const votes = [
    { type: "vote", assertion: parisHash, voter: "ann", value: 1, timestamp: TS },
    { type: "vote", assertion: parisHash, voter: "bob", value: 0.5, timestamp: TS },
  ];
  const input = ndjson([
    paris,
    assertionJson("France", "continent", "Europe"),
    assertionJson("France", "currency", "EUR"),
    epoch,
    ...votes,
  ]);
  assert.equal((await stemedb(["append", ...d], { stdin: input })).code, 0);

  const lagging = json(await stemedb(["status", ...d, "--json"]));
  assert.equal(lagging.ingest.cursor, null);
  assert.equal(lagging.ingest.lagRecords, 6);

  const ingest = await stemedb(["ingest", ...d, "--json"]);
  assert.equal(ingest.code, 0, ingest.stderr);
  assert.equal(json(ingest).applied, 6);

  const status = await stemedb(["status", ...d, "--json"]);
  assert.equal(status.code, 0, status.stderr);
  const report = json(status);
  assert.equal(report.ingest.lagBytes, 0);
  assert.equal(report.ingest.lagRecords, 0);
  assert.equal(report.ingest.cursor, report.journal.durableOffset);
  assert.equal(report.journal.segments.length, 1);
  assert.equal(report.deadLetters.count, 0);
  const human = await stemedb(["status", ...d]);
  assert.match(human.stdout, /durable end/);

  const one = await stemedb(["query", "assertion", parisHash, ...d, "--json"]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(json(one).object, "Paris");

  const page1 = json(await stemedb(["query", "subject", "France", "--limit", "2", ...d, "--json"]));
  assert.equal(page1.items.length, 2);
  assert.ok(page1.cursor);
  const page2 = json(
    await stemedb([
      "query",
      "subject",
      "France",
      "--limit",
      "2",
      "--cursor",
      page1.cursor,
      ...d,
      "--json",
    ]),
  );
  assert.equal(page2.items.length, 1);

  const tally = json(await stemedb(["query", "votes", parisHash, ...d, "--json"]));
  assert.equal(tally.votes.length, 2);
  assert.equal(tally.tally.count, 2);
  assert.equal(tally.tally.sum, 1.5);

  const ep = json(await stemedb(["query", "epoch", "c0ffee", ...d, "--json"]));
  assert.equal(ep.name, "modern");
  const eps = json(await stemedb(["query", "epochs", ...d, "--json"]));
  assert.equal(eps.items.length, 1);

  const missing = await stemedb(["query", "assertion", "ab".repeat(32), ...d]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Cannot find assertion/);
});

Deno.test("status on a data directory without a journal fails with exit code 1", async () => {
  await using data = await tempData();
  const run = await stemedb(["status", "--data", data.dir]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /no journal/);
});

Deno.test("STEMEDB_DATA selects the data directory", async () => {
  await using data = await tempData();
  const input = ndjson([assertionJson("Chile", "capital", "Santiago")]);
  const run = await stemedb(["append"], { stdin: input, env: { STEMEDB_DATA: data.dir } });
  assert.equal(run.code, 0, run.stderr);
  await Deno.stat(`${data.dir}/wal/journal.json`);
});

Deno.test("status reports dead letters with offset and reason after ingesting a poison record", async () => {
  await using data = await tempData();
  const d = ["--data", data.dir];
  assert.equal(
    (await stemedb(["append", ...d], { stdin: ndjson([assertionJson("A", "b", "c")]) })).code,
    0,
  );
  const journal = await Journal.open(`${data.dir}/wal`);
  const poison = new Uint8Array([0xee, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]); // unknown record type
  const { offset } = await journal.append(poison);
  await journal.close();
  const ingest = await stemedb(["ingest", ...d, "--json"]);
  assert.equal(ingest.code, 0, ingest.stderr);
  assert.equal(json(ingest).deadLettered, 1);
  const report = json(await stemedb(["status", ...d, "--json"]));
  assert.equal(report.deadLetters.count, 1);
  assert.equal(report.deadLetters.latest[0].offset, offset);
  assert.ok(report.deadLetters.latest[0].reason.length > 0);
  const human = await stemedb(["status", ...d]);
  assert.match(human.stdout, new RegExp(`offset ${offset}: `));
});
