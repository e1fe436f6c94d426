// A point-in-time repair of a real journal cuts it below records a real
// ingestor already applied to a real Deno KV: the store's cursor is then past
// the journal's durable end. The ingestor must refuse to go on (records
// appended at the cut would land below the cursor and never be ingested),
// say so in its stall, lag, status and /health, and go on once rewindCursor() moved
// the cursor back.
import assert from "node:assert/strict";
import { Journal, repairJournal } from "../../src/wal/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import {
  collectStatus,
  CursorAheadError,
  Ingestor,
  type IngestStall,
  rewindCursor,
} from "../../src/ingest/mod.ts";
import { assertionAt, assertionPayload } from "./_helpers.ts";
import { contentHash } from "../../src/records/mod.ts";
import { createApp } from "../../src/http/mod.ts";

const SEGMENT_BYTES = 1024;

/**
 * 40 records in segments of 1 KiB, all applied to the store; then one byte
 * of the second segment flipped and the journal repaired point-in-time.
 */
async function cutBelowCursor() {
  const dir = await Deno.makeTempDir({ prefix: "stemedb-cursor-ahead-" });
  const wal = `${dir}/wal`;
  const journal = await Journal.open(wal, { segmentBytes: SEGMENT_BYTES });
  await journal.appendBatch(Array.from({ length: 40 }, (_, i) => assertionPayload(i)));
  const store = await KvStore.open(`${dir}/kv.sqlite`);
  const applied = await new Ingestor(journal, store).runOnce();
  assert.equal(applied.applied, 40);
  const segments = await journal.segments();
  await journal.close();
  store.close();
  const bytes = await Deno.readFile(segments[1].path);
  bytes[100] ^= 0xff;
  await Deno.writeFile(segments[1].path, bytes);
  const repair = await repairJournal(wal, { recovery: "point-in-time" });
  assert.ok(repair.end < applied.to, "the cut is below the cursor");
  return {
    dir,
    wal,
    cursor: applied.to,
    end: repair.end,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("Ingestor refuses a cursor past the durable end of a journal cut by a point-in-time repair, naming both offsets and the way out", async () => {
  await using cut = await cutBelowCursor();
  const journal = await Journal.open(cut.wal, { segmentBytes: SEGMENT_BYTES });
  const store = await KvStore.open(`${cut.dir}/kv.sqlite`);
  try {
    assert.equal(journal.durableOffset, cut.end);
    const expected: IngestStall = {
      kind: "cursor-ahead",
      file: cut.wal,
      offset: cut.cursor,
      reason: `cursor past the durable end ${cut.end}`,
      durableOffset: cut.end,
    };
    const ingestor = new Ingestor(journal, store);
    // Seen before any pass, by lag() and by the status views alike.
    assert.deepEqual((await ingestor.lag()).stalled, expected);
    assert.deepEqual((await collectStatus(journal, store)).ingest.stalled, expected);

    const error = await ingestor.runOnce().then(() => assert.fail("ingested"), (e) => e);
    assert.ok(error instanceof CursorAheadError, String(error));
    assert.deepEqual(
      [error.journalId, error.dir, error.cursor, error.durableOffset],
      [journal.id, cut.wal, cut.cursor, cut.end],
    );
    assert.match(
      error.message,
      new RegExp(`cursor ${cut.cursor} is past .* durable end ${cut.end}`),
    );
    assert.match(
      error.message,
      /"stemedb ingest --rewind-cursor" \(rewindCursor\(\) in the library\)/,
    );
    assert.deepEqual(ingestor.stalled, expected);
    assert.deepEqual((await ingestor.lag()).stalled, expected);
    const app = createApp({ journal, store, ingestor });
    const status = await (await app.fetch(new Request("http://localhost/status"))).json();
    assert.deepEqual(status.ingest.stalled, expected);
    const health = await app.fetch(new Request("http://localhost/health"));
    assert.equal(health.status, 503);
    assert.deepEqual((await health.json()).stalled, expected);

    // Sticky even once the journal grows back past the old cursor: resuming
    // from it would skip every record appended between the cut and it.
    let i = 1_000;
    while (journal.durableOffset <= cut.cursor) await journal.append(assertionPayload(i++));
    await assert.rejects(ingestor.runOnce(), (e) => e === error);
    assert.equal((await store.readCursor(journal.id)).offset, cut.cursor, "nothing committed");
  } finally {
    store.close();
    await journal.close();
  }
});

Deno.test("rewindCursor() moves a cursor past the cut back to the durable end, and what is appended from there is ingested", async () => {
  await using cut = await cutBelowCursor();
  const journal = await Journal.open(cut.wal, { segmentBytes: SEGMENT_BYTES });
  const store = await KvStore.open(`${cut.dir}/kv.sqlite`);
  try {
    await store.setConsumer(journal.id, "ingestor", cut.cursor);
    assert.deepEqual(await rewindCursor(journal, store), { from: cut.cursor, to: cut.end });
    assert.equal((await store.readCursor(journal.id)).offset, cut.end);
    const consumers = await store.consumers(journal.id);
    assert.deepEqual(consumers.map((c) => [c.name, c.offset]), [["ingestor", cut.end]]);
    assert.equal(await rewindCursor(journal, store), null, "not past the end: nothing written");
    assert.equal((await collectStatus(journal, store)).ingest.stalled, null);

    const record = assertionAt(5_000, { subject: "after the cut" });
    const { offset } = await journal.append(assertionPayload(5_000, record));
    assert.equal(offset, cut.end, "appended at the cut");
    const report = await new Ingestor(journal, store).runOnce();
    assert.deepEqual([report.from, report.applied], [cut.end, 1]);
    const hash = await contentHash(assertionPayload(5_000, record));
    assert.equal((await store.getAssertion(hash))?.subject, "after the cut");
    // What the cut records did stays in the store.
    assert.equal(
      (await store.getAssertion(await contentHash(assertionPayload(39))))?.object,
      "object-39",
    );
  } finally {
    store.close();
    await journal.close();
  }
});

Deno.test("A reader whose view of the durable end is older than the cursor is not taken for a cut journal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stemedb-cursor-ahead-" });
  const writer = await Journal.open(`${dir}/wal`);
  const reader = await Journal.open(`${dir}/wal`, { readOnly: true });
  const store = await KvStore.open(`${dir}/kv.sqlite`);
  try {
    const stale = reader.durableOffset;
    await writer.appendBatch(Array.from({ length: 10 }, (_, i) => assertionPayload(i)));
    // Another ingestor, of the writer, commits past the reader's last view.
    await new Ingestor(writer, store).runOnce();
    assert.equal(reader.durableOffset, stale);
    const ingestor = new Ingestor(reader, store);
    assert.equal((await ingestor.lag()).stalled, undefined);
    assert.equal((await collectStatus(reader, store)).ingest.stalled, null);
    const report = await ingestor.runOnce();
    assert.deepEqual([report.applied, report.caughtUp], [0, true]);
    assert.equal(ingestor.stalled, null);
  } finally {
    store.close();
    await reader.close();
    await writer.close();
    await Deno.remove(dir, { recursive: true });
  }
});
