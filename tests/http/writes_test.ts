import assert from "node:assert/strict";
import { assertion, call, HASH_RE, post, startServer } from "./_server.ts";

Deno.test("POST /assertions answers 201 with hash and offset, and the assertion reads back", async () => {
  const server = await startServer();
  try {
    const created = await call(`${server.url}/assertions`, post(assertion()));
    assert.equal(created.status, 201);
    assert.match(created.body.hash, HASH_RE);
    assert.equal(typeof created.body.offset, "number");
    assert.ok(server.journal.durableOffset > created.body.offset, "durable before the answer");
    await server.ingest();
    const byHash = await call(`${server.url}/assertions/${created.body.hash}`);
    assert.equal(byHash.status, 200);
    assert.equal(byHash.body.subject, "Paris");
    assert.equal(byHash.body.object, "France");
    const bySubject = await call(`${server.url}/subjects/Paris/assertions`);
    assert.equal(bySubject.status, 200);
    assert.deepEqual(bySubject.body.items.map((a: { hash: string }) => a.hash), [
      created.body.hash,
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("POST with ?wait=ingested answers once the in-process ingestor applied the record", async () => {
  const server = await startServer({ background: true });
  try {
    const created = await call(`${server.url}/assertions?wait=ingested`, post(assertion()));
    assert.equal(created.status, 201);
    assert.equal(created.headers.get("stemedb-ingested"), "true");
    const byHash = await call(`${server.url}/assertions/${created.body.hash}`);
    assert.equal(byHash.status, 200);
  } finally {
    await server.close();
  }
});

Deno.test("POST an NDJSON batch answers an array of receipts in order", async () => {
  const server = await startServer();
  try {
    const lines = [1, 2, 3].map((n) => assertion({ object: `v${n}` }));
    const created = await call(`${server.url}/assertions`, post(lines));
    assert.equal(created.status, 201);
    assert.equal(created.body.length, 3);
    const offsets = created.body.map((r: { offset: number }) => r.offset);
    assert.deepEqual([...offsets].sort((a, b) => a - b), offsets);
    assert.equal(new Set(created.body.map((r: { hash: string }) => r.hash)).size, 3);
  } finally {
    await server.close();
  }
});

Deno.test("POST an NDJSON batch with one invalid line answers 422 naming the line and appends nothing", async () => {
  const server = await startServer();
  try {
    const before = server.journal.durableOffset;
    const lines = [assertion(), assertion({ confidence: 7 }), assertion({ object: "x" })];
    const rejected = await call(`${server.url}/assertions`, post(lines));
    assert.equal(rejected.status, 422);
    assert.equal(rejected.body.error.code, "invalid_record");
    assert.equal(rejected.body.error.line, 2);
    assert.equal(rejected.body.error.field, "confidence");
    assert.match(rejected.body.error.message, /line 2/);
    assert.equal(server.journal.durableOffset, before);
  } finally {
    await server.close();
  }
});

Deno.test("POST malformed JSON answers 400", async () => {
  const server = await startServer();
  try {
    const bad = await call(`${server.url}/assertions`, post('{"subject": '));
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "malformed_json");
    const badLine = await call(`${server.url}/assertions`, post([assertion(), "{nope"]));
    assert.equal(badLine.status, 400);
    assert.equal(badLine.body.error.line, 2);
  } finally {
    await server.close();
  }
});

Deno.test("POST an invalid record answers 422 naming the field", async () => {
  const server = await startServer();
  try {
    const bad = await call(`${server.url}/assertions`, post(assertion({ subject: 42 })));
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.code, "invalid_record");
    assert.equal(bad.body.error.field, "subject");
    assert.match(bad.body.error.message, /subject/);
    const wrongType = await call(
      `${server.url}/votes`,
      post({ type: "assertion", ...assertion() }),
    );
    assert.equal(wrongType.status, 422);
    assert.equal(wrongType.body.error.field, "type");
  } finally {
    await server.close();
  }
});

Deno.test("POST a body over the limit answers 413, also without Content-Length", async () => {
  const server = await startServer({ maxBodyBytes: 1024 });
  try {
    const big = assertion({ object: "x".repeat(2000) });
    const declared = await call(`${server.url}/assertions`, post(big));
    assert.equal(declared.status, 413);
    assert.equal(declared.body.error.code, "payload_too_large");
    const bytes = new TextEncoder().encode(JSON.stringify(big));
    const streamed = await call(`${server.url}/assertions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: ReadableStream.from([bytes.slice(0, 600), bytes.slice(600)]),
    });
    assert.equal(streamed.status, 413);
    const small = await call(`${server.url}/assertions`, post(assertion()));
    assert.equal(small.status, 201);
  } finally {
    await server.close();
  }
});

Deno.test("64 concurrent POSTs are each acknowledged once durable at distinct offsets", async () => {
  const server = await startServer();
  try {
    const results = await Promise.all(
      Array.from(
        { length: 64 },
        (_, n) => call(`${server.url}/assertions`, post(assertion({ subject: "Many", object: n }))),
      ),
    );
    assert.ok(results.every((r) => r.status === 201));
    const offsets = new Set(results.map((r) => r.body.offset));
    assert.equal(offsets.size, 64);
    await server.ingest();
    const page = await call(`${server.url}/subjects/Many/assertions?limit=100`);
    assert.equal(page.body.items.length, 64);
  } finally {
    await server.close();
  }
});
