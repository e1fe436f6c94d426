import assert from "node:assert/strict";
import { assertion, call, post, startServer } from "./_server.ts";

const vote = (hash: string, extra: Record<string, unknown> = {}) => ({
  assertion: hash,
  voter: "ann",
  value: 1,
  timestamp: 1_700_000_000_001,
  ...extra,
});
const epoch = (name: string) => ({ id: "0a", name, description: "", startTime: 0 });

Deno.test("POST /votes on an unknown assertion answers 422 unknown_assertion and appends nothing", async () => {
  const server = await startServer();
  try {
    const before = server.journal.durableOffset;
    const missing = "ab".repeat(32);
    const refused = await call(`${server.url}/votes`, post(vote(missing)));
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, "unknown_assertion");
    assert.equal(refused.body.error.field, "assertion");
    assert.match(refused.body.error.message, new RegExp(missing));
    assert.equal(server.journal.durableOffset, before, "nothing appended");

    const { body: { hash } } = await call(`${server.url}/assertions`, post(assertion()));
    const early = await call(`${server.url}/votes`, post(vote(hash)));
    assert.equal(early.status, 422, "appended but not ingested is not known");
    await server.ingest();
    assert.equal((await call(`${server.url}/votes`, post(vote(hash)))).status, 201);
  } finally {
    await server.close();
  }
});

Deno.test("POST /votes?allowUnknown=true appends a vote on an unknown assertion, and it is ingested", async () => {
  const server = await startServer();
  try {
    const missing = "cd".repeat(32);
    const accepted = await call(`${server.url}/votes?allowUnknown=true`, post(vote(missing)));
    assert.equal(accepted.status, 201);
    await server.ingest();
    const votes = await call(`${server.url}/assertions/${missing}/votes`);
    assert.equal(votes.body.votes.length, 1, "the ingestor keeps it for the assertion to come");
    const bad = await call(`${server.url}/votes?allowUnknown=maybe`, post(vote(missing)));
    assert.equal(bad.status, 400);
  } finally {
    await server.close();
  }
});

Deno.test("POST /assertions with ?wait=ingested makes a following vote on it pass", async () => {
  const server = await startServer({ background: true });
  try {
    const created = await call(`${server.url}/assertions?wait=ingested`, post(assertion()));
    assert.equal(created.headers.get("stemedb-ingested"), "true");
    assert.equal((await call(`${server.url}/votes`, post(vote(created.body.hash)))).status, 201);
  } finally {
    await server.close();
  }
});

Deno.test("POST /assertions naming an unknown epoch answers 422 unknown_epoch, naming the batch record", async () => {
  const server = await startServer();
  try {
    const batch = [assertion(), assertion({ epoch: "0a", object: "Lyon" })];
    const refused = await call(`${server.url}/assertions`, post(batch));
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, "unknown_epoch");
    assert.deepEqual([refused.body.error.field, refused.body.error.index], ["epoch", 1]);
    assert.match(refused.body.error.message, /^record 2: /);
    assert.equal(server.journal.durableOffset, server.journal.firstOffset, "nothing appended");

    const allowed = await call(`${server.url}/assertions?allowUnknown=1`, post(batch));
    assert.equal(allowed.status, 201);
    assert.equal((await call(`${server.url}/epochs`, post(epoch("e")))).status, 201);
    await server.ingest();
    const known = await call(`${server.url}/assertions`, post(assertion({ epoch: "0a" })));
    assert.equal(known.status, 201);
  } finally {
    await server.close();
  }
});

Deno.test("POST /epochs re-posting an epoch id with other content answers 409 epoch_exists", async () => {
  const server = await startServer();
  try {
    assert.equal((await call(`${server.url}/epochs`, post(epoch("first")))).status, 201);
    await server.ingest();
    assert.equal((await call(`${server.url}/epochs`, post(epoch("first")))).status, 201, "same");
    const clash = await call(`${server.url}/epochs?allowUnknown=true`, post(epoch("second")));
    assert.equal(clash.status, 409);
    assert.equal(clash.body.error.code, "epoch_exists");
    assert.equal(clash.body.error.field, "id");
    const inBatch = await call(
      `${server.url}/epochs`,
      post([{ ...epoch("b"), id: "0b" }, { ...epoch("c"), id: "0b" }]),
    );
    assert.equal(inBatch.status, 409, "an earlier epoch of the same batch counts");
    assert.equal(inBatch.body.error.index, 1);
  } finally {
    await server.close();
  }
});
