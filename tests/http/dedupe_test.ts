import assert from "node:assert/strict";
import { assertion, call, post, startServer } from "./_server.ts";

Deno.test("POST ?dedupe=true skips a record already stored: 200, skipped receipt, nothing appended", async () => {
  const server = await startServer();
  try {
    const first = await call(`${server.url}/assertions?dedupe=true`, post(assertion()));
    assert.equal(first.status, 201);
    assert.equal(first.body.skipped, false);
    assert.equal(first.headers.get("stemedb-skipped"), "0");
    await server.ingest();
    const end = server.journal.durableOffset;
    const again = await call(`${server.url}/assertions?dedupe=true`, post(assertion()));
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, { hash: first.body.hash, skipped: true });
    assert.equal(again.headers.get("stemedb-skipped"), "1");
    assert.equal(server.journal.durableOffset, end, "the journal did not grow");
  } finally {
    await server.close();
  }
});

Deno.test("POST an NDJSON batch with ?dedupe=true appends only new records, in order, skipping repeats within it", async () => {
  const server = await startServer();
  try {
    await call(`${server.url}/assertions`, post(assertion({ object: "old" })));
    await server.ingest();
    const lines = [
      assertion({ object: "old" }),
      assertion({ object: "new" }),
      assertion({ object: "new" }),
      assertion({ object: "newer" }),
    ];
    const created = await call(`${server.url}/assertions?dedupe=true`, post(lines));
    assert.equal(created.status, 201);
    assert.equal(created.headers.get("stemedb-skipped"), "2");
    assert.deepEqual(created.body.map((r: { skipped: boolean }) => r.skipped), [
      true,
      false,
      true,
      false,
    ]);
    assert.equal(created.body[1].hash, created.body[2].hash);
    assert.ok(created.body[3].offset > created.body[1].offset);
    await server.ingest();
    const page = await call(`${server.url}/subjects/Paris/assertions`);
    assert.equal(page.body.items.length, 3);
  } finally {
    await server.close();
  }
});

Deno.test("POST without ?dedupe appends a record again even when it is stored", async () => {
  const server = await startServer();
  try {
    await call(`${server.url}/assertions`, post(assertion()));
    await server.ingest();
    const end = server.journal.durableOffset;
    const again = await call(`${server.url}/assertions`, post(assertion()));
    assert.equal(again.status, 201);
    assert.equal(again.body.skipped, undefined);
    assert.equal(again.headers.get("stemedb-skipped"), null);
    assert.ok(server.journal.durableOffset > end);
  } finally {
    await server.close();
  }
});

Deno.test("POST ?dedupe=true&wait=ingested answers Stemedb-Ingested: true when everything was stored already", async () => {
  const server = await startServer();
  try {
    await call(
      `${server.url}/epochs`,
      post({ id: "0a", name: "e", description: "", startTime: 0 }),
    );
    await server.ingest();
    const again = await call(
      `${server.url}/epochs?dedupe=true&wait=ingested`,
      post({ id: "0a", name: "e", description: "", startTime: 0 }),
    );
    assert.equal(again.status, 200);
    assert.equal(again.headers.get("stemedb-ingested"), "true");
  } finally {
    await server.close();
  }
});

Deno.test("POST ?dedupe=maybe answers 400 bad_request naming the parameter and appends nothing", async () => {
  const server = await startServer();
  try {
    const end = server.journal.durableOffset;
    const bad = await call(`${server.url}/assertions?dedupe=maybe`, post(assertion()));
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "bad_request");
    assert.equal(bad.body.error.parameter, "dedupe");
    assert.match(bad.body.error.message, /dedupe "maybe"/);
    assert.equal(server.journal.durableOffset, end);
  } finally {
    await server.close();
  }
});

Deno.test("POST ?wait=ingested with the ingestor stopped answers Stemedb-Ingested: false at once", async () => {
  const server = await startServer();
  try {
    const started = performance.now();
    const created = await call(`${server.url}/assertions?wait=ingested`, post(assertion()));
    assert.equal(created.status, 201);
    assert.equal(created.headers.get("stemedb-ingested"), "false");
    assert.ok(performance.now() - started < 4_000, "did not sit out the 5 s wait");
  } finally {
    await server.close();
  }
});
