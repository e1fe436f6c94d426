import assert from "node:assert/strict";
import { assertionJson, json, ndjson, stemedb, tempData } from "./_cli.ts";

const CLAIMS = ndjson([
  assertionJson("France", "capital", "Paris"),
  assertionJson("Japan", "capital", "Tokyo"),
]);

Deno.test("append --dedupe skips records already ingested into KV and reports how many", async () => {
  await using data = await tempData();
  const first = await stemedb(["append", "--data", data.dir, "--json"], { stdin: CLAIMS });
  assert.equal(json(first).appended, 2);
  assert.equal((await stemedb(["ingest", "--data", data.dir, "--json"])).code, 0);
  const more = ndjson([
    assertionJson("France", "capital", "Paris"),
    assertionJson("Italy", "capital", "Rome"),
    assertionJson("Japan", "capital", "Tokyo"),
  ]);
  const again = await stemedb(["append", "--dedupe", "--data", data.dir, "--json"], {
    stdin: more,
  });
  assert.equal(again.code, 0, again.stderr);
  const summary = json(again);
  assert.equal(summary.appended, 1);
  assert.equal(summary.skipped, 2);
  assert.equal(summary.firstOffset, json(first).nextOffset, "only Italy went in");
});

Deno.test("append --dedupe prints the skipped count in its human summary", async () => {
  await using data = await tempData();
  await stemedb(["append", "--data", data.dir], { stdin: CLAIMS });
  await stemedb(["ingest", "--data", data.dir]);
  const again = await stemedb(["append", "--dedupe", "--data", data.dir], { stdin: CLAIMS });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /appended\s+0 records/);
  assert.match(again.stdout, /skipped\s+2 already stored/);
});

Deno.test("append --dedupe skips a line repeated within one batch", async () => {
  await using data = await tempData();
  const run = await stemedb(["append", "--dedupe", "--data", data.dir, "--json"], {
    stdin: ndjson([
      assertionJson("France", "capital", "Paris"),
      assertionJson("France", "capital", "Paris"),
    ]),
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(json(run).appended, 1);
  assert.equal(json(run).skipped, 1);
});

Deno.test("append without --dedupe appends a record again and reports none skipped", async () => {
  await using data = await tempData();
  await stemedb(["append", "--data", data.dir], { stdin: CLAIMS });
  await stemedb(["ingest", "--data", data.dir]);
  const again = await stemedb(["append", "--data", data.dir, "--json"], { stdin: CLAIMS });
  assert.equal(json(again).appended, 2);
  assert.equal(json(again).skipped, 0);
  assert.doesNotMatch(again.stdout, /already stored/);
});
