import assert from "node:assert/strict";
import { contentHash } from "../../src/records/mod.ts";
import { Ingestor, IngestWaitError } from "../../src/ingest/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import { Journal } from "../../src/wal/mod.ts";
import { assertionPayload, openEnv } from "./_helpers.ts";

function isWaitError(kind: IngestWaitError["kind"]) {
  return (e: unknown) => {
    assert.ok(e instanceof IngestWaitError, `an IngestWaitError, got ${e}`);
    assert.equal(e.kind, kind);
    return true;
  };
}

Deno.test("Ingestor.waitFor() resolves at once for a record applied before the call", async () => {
  await using env = await openEnv();
  const { offset } = await env.journal.append(assertionPayload(1));
  await new Ingestor(env.journal, env.store).runOnce();
  // Not running: only a record already applied can resolve, and it does.
  await new Ingestor(env.journal, env.store).waitFor(offset, { timeoutMs: 1_000 });
});

Deno.test("Ingestor.waitFor() resolves once the background loop applies a record appended later", async () => {
  await using env = await openEnv();
  const ingestor = new Ingestor(env.journal, env.store, { pollIntervalMs: 60_000 });
  ingestor.start();
  try {
    await env.journal.append(assertionPayload(0));
    const payload = assertionPayload(1);
    const { offset } = await env.journal.append(payload);
    await ingestor.waitFor(offset, { timeoutMs: 10_000 });
    assert.notEqual(await env.store.getAssertion(await contentHash(payload)), null);
  } finally {
    await ingestor.stop();
  }
});

Deno.test("Ingestor.waitFor() resolves when another ingestor applied the record", async () => {
  await using env = await openEnv();
  const ingestor = new Ingestor(env.journal, env.store, { pollIntervalMs: 20, watch: false });
  ingestor.start();
  try {
    const { offset } = await env.journal.append(assertionPayload(1));
    await new Ingestor(env.journal, env.store).runOnce();
    await ingestor.waitFor(offset, { timeoutMs: 10_000 });
  } finally {
    await ingestor.stop();
  }
});

Deno.test("Ingestor.waitFor() rejects with kind timeout when the record is not applied in time", async () => {
  await using env = await openEnv();
  const ingestor = new Ingestor(env.journal, env.store, { pollIntervalMs: 60_000 });
  ingestor.start();
  try {
    const { next } = await env.journal.append(assertionPayload(1));
    // `next` is where a record not yet appended will start.
    await assert.rejects(ingestor.waitFor(next, { timeoutMs: 50 }), isWaitError("timeout"));
  } finally {
    await ingestor.stop();
  }
});

Deno.test("Ingestor.waitFor() rejects with the signal's reason when aborted", async () => {
  await using env = await openEnv();
  const ingestor = new Ingestor(env.journal, env.store, { pollIntervalMs: 60_000 });
  ingestor.start();
  try {
    const controller = new AbortController();
    const waiting = ingestor.waitFor(1_000_000, { signal: controller.signal });
    const reason = new Error("user gave up");
    controller.abort(reason);
    await assert.rejects(waiting, (e) => e === reason);
    const aborted = AbortSignal.abort(reason);
    await assert.rejects(ingestor.waitFor(0, { signal: aborted }), (e) => e === reason);
  } finally {
    await ingestor.stop();
  }
});

Deno.test("Ingestor.waitFor() rejects with kind stopped when the ingestor is not running", async () => {
  await using env = await openEnv();
  const { offset } = await env.journal.append(assertionPayload(1));
  const ingestor = new Ingestor(env.journal, env.store);
  await assert.rejects(ingestor.waitFor(offset), isWaitError("stopped"));
});

Deno.test("Ingestor.waitFor() rejects with kind stopped when stop() comes first", async () => {
  await using env = await openEnv();
  const ingestor = new Ingestor(env.journal, env.store, { pollIntervalMs: 60_000 });
  ingestor.start();
  const waiting = ingestor.waitFor(1_000_000);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await ingestor.stop();
  await assert.rejects(waiting, isWaitError("stopped"));
});

Deno.test("Ingestor.waitFor() rejects with kind failed, the error as cause, when a pass fails", async () => {
  await using env = await openEnv();
  const kv = await Deno.openKv(`${env.dir}/other.sqlite`);
  const store = await KvStore.open(kv);
  const errors: unknown[] = [];
  const ingestor = new Ingestor(env.journal, store, {
    pollIntervalMs: 60_000,
    onError: (e) => errors.push(e),
  });
  ingestor.start();
  try {
    const waiting = ingestor.waitFor(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    kv.close();
    await env.journal.append(assertionPayload(1));
    const error = await waiting.then(() => null, (e) => e);
    isWaitError("failed")(error);
    assert.ok(error.cause instanceof Error);
    await new Promise((resolve) => setTimeout(resolve, 0)); // the loop hands it to onError next
    assert.ok(errors.includes(error.cause), "the pass's error, also given to onError");
  } finally {
    await ingestor.stop();
  }
});

Deno.test("Ingestor.waitFor() refuses an offset that is not a non-negative integer", async () => {
  await using env = await openEnv();
  const ingestor = new Ingestor(env.journal, env.store);
  await assert.rejects(ingestor.waitFor(-1), RangeError);
  await assert.rejects(ingestor.waitFor(1.5), RangeError);
  await assert.rejects(ingestor.waitFor(0, { timeoutMs: -1 }), RangeError);
});

Deno.test("Ingestor.waitFor() over a read-only journal resolves for records another writer appends", async () => {
  await using env = await openEnv();
  const reader = await Journal.open(env.journalDir, { readOnly: true });
  const ingestor = new Ingestor(reader, env.store, { pollIntervalMs: 50 });
  ingestor.start();
  try {
    const { offset } = await env.journal.append(assertionPayload(1));
    await ingestor.waitFor(offset, { timeoutMs: 10_000 });
  } finally {
    await ingestor.stop();
    await reader.close();
  }
});
