import assert from "node:assert/strict";
import { assertion, call, post, startServer } from "./_server.ts";

Deno.test("POST /votes and GET /assertions/:hash/votes answer the votes and their tally", async () => {
  const server = await startServer();
  try {
    const { body: { hash } } = await call(`${server.url}/assertions`, post(assertion()));
    await server.ingest(); // a vote's assertion must be known: in the store
    const vote = (voter: string, value: number) => ({
      assertion: hash,
      voter,
      value,
      timestamp: 1_700_000_000_001,
    });
    const votes = await call(`${server.url}/votes`, post([vote("ann", 1), vote("bob", -0.5)]));
    assert.equal(votes.status, 201);
    const again = await call(`${server.url}/votes`, post(vote("ann", 1)));
    assert.equal(again.status, 201);
    await server.ingest();
    const got = await call(`${server.url}/assertions/${hash}/votes`);
    assert.equal(got.status, 200);
    assert.equal(got.body.votes.length, 2);
    assert.equal(got.body.tally.count, 2);
    assert.equal(got.body.tally.sum, 0.5);
  } finally {
    await server.close();
  }
});

Deno.test("POST /epochs, then GET /epochs/:id and GET /epochs list it", async () => {
  const server = await startServer();
  try {
    const id = "0a1b2c3d";
    const epoch = { id, name: "modern", description: "after 1900", startTime: 0 };
    const created = await call(`${server.url}/epochs`, post(epoch));
    assert.equal(created.status, 201);
    await server.ingest();
    const one = await call(`${server.url}/epochs/${id}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.name, "modern");
    const all = await call(`${server.url}/epochs`);
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.items.map((e: { id: string }) => e.id), [id]);
    const missing = await call(`${server.url}/epochs/ffff`);
    assert.equal(missing.status, 404);
  } finally {
    await server.close();
  }
});

Deno.test("GET /subjects/:subject/assertions pages through every assertion with the cursor", async () => {
  const server = await startServer();
  try {
    const lines = Array.from({ length: 7 }, (_, n) => assertion({ subject: "Rome", object: n }));
    const created = await call(`${server.url}/assertions`, post(lines));
    await server.ingest();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page = await call(`${server.url}/subjects/Rome/assertions?limit=3${query}`);
      assert.equal(page.status, 200);
      assert.ok(page.body.items.length <= 3);
      seen.push(...page.body.items.map((a: { hash: string }) => a.hash));
      cursor = page.body.cursor;
      pages++;
    } while (cursor !== null && pages < 10);
    assert.equal(pages >= 3, true);
    assert.deepEqual(
      [...seen].sort(),
      created.body.map((r: { hash: string }) => r.hash).sort(),
    );
    const bad = await call(`${server.url}/subjects/Rome/assertions?limit=0`);
    assert.equal(bad.status, 400);
  } finally {
    await server.close();
  }
});

Deno.test("GET an unknown assertion answers 404, a malformed hash 400", async () => {
  const server = await startServer();
  try {
    const missing = await call(`${server.url}/assertions/${"ab".repeat(32)}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "not_found");
    const bad = await call(`${server.url}/assertions/xyz`);
    assert.equal(bad.status, 400);
  } finally {
    await server.close();
  }
});

Deno.test("An unknown route answers 404 and a wrong method 405 with Allow", async () => {
  const server = await startServer();
  try {
    const unknown = await call(`${server.url}/nope`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, "not_found");
    const wrong = await call(`${server.url}/assertions`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "POST");
    assert.equal(wrong.body.error.code, "method_not_allowed");
    const wrongPost = await call(`${server.url}/health`, { method: "DELETE" });
    assert.equal(wrongPost.status, 405);
    assert.equal(wrongPost.headers.get("allow"), "GET");
  } finally {
    await server.close();
  }
});

Deno.test("GET /health and GET /status report the journal and the ingest cursor", async () => {
  const server = await startServer();
  try {
    await call(`${server.url}/assertions`, post(assertion()));
    const before = await call(`${server.url}/status`);
    assert.equal(before.status, 200);
    assert.equal(before.body.journal.id, server.journal.id);
    assert.ok(before.body.ingest.lagBytes > 0);
    assert.equal(before.body.ingest.lagRecords, 1);
    await server.ingest();
    const after = await call(`${server.url}/status`);
    assert.equal(after.body.ingest.lagBytes, 0);
    assert.equal(after.body.ingest.cursor, server.journal.durableOffset);
    assert.equal(after.body.deadLetters.count, 0);
    const health = await call(`${server.url}/health`);
    assert.equal(health.status, 200);
    assert.equal(health.body.ok, true);
  } finally {
    await server.close();
  }
});

Deno.test("GET an epoch id that is not short even-length hex answers 400", async () => {
  const server = await startServer();
  try {
    for (const id of ["abc", "zz", "ab".repeat(33)]) {
      const bad = await call(`${server.url}/epochs/${id}`);
      assert.equal(bad.status, 400, id);
      assert.equal(bad.body.error.code, "bad_request");
    }
  } finally {
    await server.close();
  }
});
