import assert from "node:assert/strict";
import { assertion, call, post, startServer, type TestServer } from "./_server.ts";

/** Every page of a paginated GET, following cursors with `limit`. */
async function pages(server: TestServer, path: string, limit: number) {
  const items: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  let count = 0;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const url = `${server.url}${path}${sep}limit=${limit}` +
      (cursor ? `&cursor=${encodeURIComponent(cursor)}` : "");
    const got = await call(url);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    items.push(...got.body.items);
    cursor = got.body.cursor;
    count++;
  } while (cursor !== null);
  return { items, pages: count };
}

Deno.test("GET /subjects lists distinct subjects, by prefix, paged by cursor", async () => {
  const server = await startServer();
  try {
    const subjects = ["Paris", "Parma", "Pau", "Lyon", "Paris"];
    const batch = subjects.map((subject, i) => assertion({ subject, timestamp: i }));
    assert.equal((await call(`${server.url}/assertions`, post(batch))).status, 201);
    await server.ingest();
    const all = await pages(server, "/subjects", 2);
    assert.deepEqual(all.items.map((s) => s.subject), ["Lyon", "Paris", "Parma", "Pau"]);
    assert.equal(all.pages, 2);
    const par = await pages(server, "/subjects?prefix=Par", 1);
    assert.deepEqual(par.items.map((s) => s.subject), ["Paris", "Parma"]);
    const long = await call(`${server.url}/subjects?prefix=${"x".repeat(2_000)}`);
    assert.equal(long.status, 400);
  } finally {
    await server.close();
  }
});

Deno.test("GET /subjects/:subject/assertions?predicate= lists only that predicate", async () => {
  const server = await startServer();
  try {
    const batch = [
      assertion({ predicate: "capitalOf" }),
      assertion({ predicate: "capitalOf", object: "Gaul" }),
      assertion({ predicate: "twinnedWith", object: "Rome" }),
    ];
    await call(`${server.url}/assertions`, post(batch));
    await server.ingest();
    const got = await pages(server, "/subjects/Paris/assertions?predicate=capitalOf", 1);
    assert.deepEqual(got.items.map((a) => a.object).sort(), ["France", "Gaul"]);
    const twinned = await call(`${server.url}/subjects/Paris/assertions?predicate=twinnedWith`);
    assert.equal(twinned.body.predicate, "twinnedWith");
    assert.deepEqual(twinned.body.items.map((a: { object: string }) => a.object), ["Rome"]);
    const long = await call(`${server.url}/subjects/${"x".repeat(1_800)}/assertions?predicate=p`);
    assert.equal(long.status, 400, "a subject longer than any stored one is a client mistake");
  } finally {
    await server.close();
  }
});

Deno.test("GET /assertions/:hash/referrers lists the assertions referencing it", async () => {
  const server = await startServer();
  try {
    const { body: { hash } } = await call(`${server.url}/assertions`, post(assertion()));
    const refs = [0, 1, 2].map((i) => assertion({ subject: `s${i}`, object: { ref: hash } }));
    await call(`${server.url}/assertions`, post(refs));
    await server.ingest();
    const got = await pages(server, `/assertions/${hash.toUpperCase()}/referrers`, 2);
    assert.deepEqual(got.items.map((a) => a.subject).sort(), ["s0", "s1", "s2"]);
    assert.equal((await call(`${server.url}/assertions/xyz/referrers`)).status, 400);
  } finally {
    await server.close();
  }
});

Deno.test("GET /epochs/:id/assertions lists the assertions of an epoch", async () => {
  const server = await startServer();
  try {
    await call(
      `${server.url}/epochs`,
      post({ id: "0a", name: "e", description: "", startTime: 0 }),
    );
    await server.ingest();
    const batch = [0, 1, 2].map((i) => assertion({ epoch: "0a", timestamp: i }));
    await call(`${server.url}/assertions`, post([...batch, assertion()]));
    await server.ingest();
    const got = await pages(server, "/epochs/0a/assertions", 2);
    assert.equal(got.items.length, 3);
    assert.ok(got.items.every((a) => a.epoch === "0a"));
    assert.equal((await call(`${server.url}/epochs/0/assertions`)).status, 400);
  } finally {
    await server.close();
  }
});

Deno.test("GET /assertions/:hash/voters/:voter/votes gives the voter's history, oldest first", async () => {
  const server = await startServer();
  try {
    const { body: { hash } } = await call(`${server.url}/assertions`, post(assertion()));
    await server.ingest();
    const voter = "ann/with a slash";
    const votes = [30, 10, 20].map((t) => ({
      assertion: hash,
      voter,
      value: t / 30,
      timestamp: t,
    }));
    votes.push({ assertion: hash, voter: "bob", value: 1, timestamp: 5 });
    assert.equal((await call(`${server.url}/votes`, post(votes))).status, 201);
    await server.ingest();
    const path = `/assertions/${hash}/voters/${encodeURIComponent(voter)}/votes`;
    const got = await pages(server, path, 2);
    assert.deepEqual(got.items.map((v) => v.timestamp), [10, 20, 30]);
    assert.equal(got.pages, 2);
  } finally {
    await server.close();
  }
});

Deno.test("GET list routes answer 400, not 500, for a cursor that is not theirs", async () => {
  const server = await startServer();
  try {
    const hash = "ab".repeat(32);
    for (
      const path of [
        "/subjects",
        "/subjects/Paris/assertions",
        `/assertions/${hash}/referrers`,
        "/epochs/0a/assertions",
        `/assertions/${hash}/voters/ann/votes`,
      ]
    ) {
      const got = await call(`${server.url}${path}?cursor=%25%25`);
      assert.equal(got.status, 400, path);
      assert.equal(got.body.error.code, "bad_request", path);
    }
  } finally {
    await server.close();
  }
});
