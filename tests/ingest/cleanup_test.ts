import assert from "node:assert/strict";
import { Journal } from "../../src/wal/mod.ts";
import { Ingestor } from "../../src/ingest/mod.ts";
import { assertionPayload, openEnv } from "./_helpers.ts";

const SEGMENT = 4096;

/** Append `n` assertions in small batches, so segments rotate often. */
async function fill(journal: Journal, n: number) {
  const results = [];
  for (let i = 0; i < n; i += 10) {
    results.push(
      ...await journal.appendBatch(
        Array.from({ length: Math.min(10, n - i) }, (_, j) => assertionPayload(i + j)),
      ),
    );
  }
  return results;
}

async function countFrom(journal: Journal, offset: number): Promise<number> {
  let n = 0;
  for await (const _ of journal.readFrom(offset)) n++;
  return n;
}

Deno.test("Ingestor cleanup removes only sealed segments wholly below the cursor", async () => {
  await using env = await openEnv({ segmentBytes: SEGMENT });
  await fill(env.journal, 300);
  const before = await env.journal.segments();
  assert.ok(before.length > 5, `${before.length} segments`);
  const ingestor = new Ingestor(env.journal, env.store, { cleanup: true, batchRecords: 30 });
  const report = await ingestor.runOnce({ maxRecords: 120 });
  const after = await env.journal.segments();
  assert.ok(after.length < before.length, "some segments were removed");
  assert.ok(after[0].base <= report.to, "the segment holding the cursor is kept");
  assert.ok(after[0].end > report.to || after[0].base === report.to, "no unread byte was removed");
  assert.equal(await countFrom(env.journal, report.to), 180, "every unread record is still there");
  await ingestor.runOnce();
  const done = await env.journal.segments();
  assert.ok(done.length >= 1, "the active segment is never removed");
  assert.equal(done.at(-1)!.sealed, false);
  assert.equal(done.at(-1)!.end, env.journal.durableOffset);
  // Appends carry on into the kept active segment, and ingestion with them.
  await env.journal.append(assertionPayload(1000));
  assert.equal((await ingestor.runOnce()).applied, 1);
});

Deno.test("Ingestor cleanup keeps what the slowest registered consumer has not read", async () => {
  await using env = await openEnv({ segmentBytes: SEGMENT });
  const results = await fill(env.journal, 300);
  const replicaAt = results[100].offset;
  await env.store.setConsumer(env.journal.id, "replica", replicaAt);
  await new Ingestor(env.journal, env.store, { cleanup: true }).runOnce();
  const segments = await env.journal.segments();
  assert.ok(segments[0].base <= replicaAt, "the replica's next record is kept");
  assert.ok(segments[0].end > replicaAt);
  assert.equal(await countFrom(env.journal, replicaAt), 200);
  const consumers = await env.store.consumers(env.journal.id);
  const ingestor = consumers.find((c) => c.name === "ingestor");
  assert.equal(ingestor?.offset, env.journal.durableOffset, "each commit registers the ingestor");
});

Deno.test("Ingestor cleanup keeps retainBytes below the lowest consumer offset", async () => {
  await using env = await openEnv({ segmentBytes: SEGMENT });
  await fill(env.journal, 300);
  const retainBytes = 5 * SEGMENT;
  await new Ingestor(env.journal, env.store, { cleanup: { retainBytes } }).runOnce();
  const segments = await env.journal.segments();
  assert.ok(segments[0].base <= env.journal.durableOffset - retainBytes);
  assert.ok(segments[0].base > 0, "older segments were removed");
});

Deno.test("Ingestor without cleanup, or over a read-only journal, removes nothing", async () => {
  await using env = await openEnv({ segmentBytes: SEGMENT });
  await fill(env.journal, 100);
  const before = (await env.journal.segments()).length;
  await new Ingestor(env.journal, env.store).runOnce();
  assert.equal((await env.journal.segments()).length, before);
  await env.journal.append(assertionPayload(500));
  const reader = await Journal.open(env.journalDir, { readOnly: true });
  try {
    const r = await new Ingestor(reader, env.store, { cleanup: true }).runOnce();
    assert.equal(r.applied, 1);
    assert.equal((await env.journal.segments()).length, before);
  } finally {
    await reader.close();
  }
});
