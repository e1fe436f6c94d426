import assert from "node:assert/strict";
import { collectStatus, Ingestor } from "../../src/ingest/mod.ts";
import { assertionPayload, openEnv } from "./_helpers.ts";

Deno.test("collectStatus() reports the lag Ingestor.lag() measures, with records counted exactly", async () => {
  await using env = await openEnv();
  const ingestor = new Ingestor(env.journal, env.store);
  await env.journal.appendBatch(Array.from({ length: 50 }, (_, i) => assertionPayload(i)));
  await ingestor.runOnce({ maxRecords: 20 });
  const lag = await ingestor.lag();
  const { ingest } = await collectStatus(env.journal, env.store);
  assert.deepEqual(
    [ingest.cursor, ingest.lagBytes, ingest.lastCommitAt],
    [lag.cursor, lag.bytes, lag.lastCommitAt],
  );
  assert.deepEqual([ingest.lagRecords, ingest.lagRecordsCapped], [30, false]);
});

Deno.test("collectStatus() counts every durable record as behind before the first commit", async () => {
  await using env = await openEnv();
  await env.journal.appendBatch(Array.from({ length: 7 }, (_, i) => assertionPayload(i)));
  const { ingest } = await collectStatus(env.journal, env.store);
  assert.deepEqual([ingest.cursor, ingest.lagRecords, ingest.lastCommitAt], [null, 7, null]);
  assert.equal(ingest.lagBytes, env.journal.durableOffset - env.journal.firstOffset);
});
