import assert from "node:assert/strict";
import { createApp } from "../../src/http/mod.ts";
import { DEFAULT_PAGE_LIMIT, KvStore } from "../../src/store/mod.ts";
import { assertionJson, hashOf, json, ndjson, stemedb, tempData, TS } from "./_cli.ts";

Deno.test("query subjects, subject --predicate, referrers, history and epoch-assertions read the indexes", async () => {
  await using data = await tempData();
  const d = ["--data", data.dir];
  const paris = { ...assertionJson("Paris", "capitalOf", "France"), epoch: "0a" };
  const hash = await hashOf(paris);
  const input = ndjson([
    { type: "epoch", id: "0a", name: "modern", description: "", startTime: TS },
    paris,
    assertionJson("Paris", "twinnedWith", "Rome"),
    assertionJson("Parma", "in", "Italy"),
    assertionJson("Lyon", "in", "France"),
    assertionJson("Claim", "about", { ref: hash }),
    ...[3, 1, 2].map((t) => ({
      type: "vote",
      assertion: hash,
      voter: "ann",
      value: 1,
      timestamp: TS + t,
    })),
    { type: "vote", assertion: hash, voter: "bob", value: -1, timestamp: TS },
  ]);
  assert.equal((await stemedb(["append", ...d], { stdin: input })).code, 0);
  assert.equal((await stemedb(["ingest", ...d])).code, 0);
  const q = async (...args: string[]) => {
    const run = await stemedb(["query", ...args, ...d, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    return json(run);
  };

  const first = await q("subjects", "--prefix", "Par", "--limit", "1");
  assert.deepEqual(first.items, [{ subject: "Paris" }]);
  const next = await q("subjects", "--prefix", "Par", "--limit", "1", "--cursor", first.cursor);
  assert.deepEqual(next.items, [{ subject: "Parma" }]);
  assert.equal(next.cursor, null);
  assert.equal((await q("subjects")).items.length, 4);

  const capital = await q("subject", "Paris", "--predicate", "capitalOf");
  assert.deepEqual(capital.items.map((a: { hash: string }) => a.hash), [hash]);
  assert.deepEqual(
    (await q("referrers", hash.toUpperCase())).items.map((a: { subject: string }) => a.subject),
    ["Claim"],
  );
  const history = await q("history", hash, "ann");
  assert.deepEqual(history.items.map((v: { timestamp: number }) => v.timestamp - TS), [1, 2, 3]);
  assert.equal(history.voter, "ann");
  const inEpoch = await q("epoch-assertions", "0a");
  assert.deepEqual(inEpoch.items.map((a: { hash: string }) => a.hash), [hash]);

  const human = await stemedb(["query", "history", hash, "ann", "--limit", "2", ...d]);
  assert.match(human.stdout, /next page: --cursor /);
});

Deno.test("query refuses a filter option of another query and a missing history voter", async () => {
  await using data = await tempData();
  const d = ["--data", data.dir];
  const wrong = await stemedb(["query", "votes", "ab".repeat(32), "--prefix", "x", ...d]);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /Cannot use "--prefix" with query "votes"/);
  const missing = await stemedb(["query", "history", "ab".repeat(32), ...d]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing argument <voter>/);
});

Deno.test("stemedb query, the HTTP API and KvStore page a list by the same default size", async () => {
  await using data = await tempData();
  const d = ["--data", data.dir];
  const records = Array.from(
    { length: DEFAULT_PAGE_LIMIT + 1 },
    (_, n) => assertionJson("Rome", "fact", n),
  );
  assert.equal((await stemedb(["append", ...d], { stdin: ndjson(records) })).code, 0);
  assert.equal((await stemedb(["ingest", ...d])).code, 0);
  const cli = await stemedb(["query", "subject", "Rome", ...d, "--json"]);
  assert.equal(cli.code, 0, cli.stderr);
  const store = await KvStore.open(`${data.dir}/kv.sqlite`);
  try {
    const http = await createApp({ store }).fetch(
      new Request("http://127.0.0.1/subjects/Rome/assertions"),
    );
    assert.equal(http.status, 200);
    const pages = [json(cli), await http.json(), await store.listSubject("Rome")];
    for (const page of pages) {
      assert.equal(page.items.length, DEFAULT_PAGE_LIMIT);
      assert.equal(typeof page.cursor, "string");
    }
  } finally {
    store.close();
  }
});
