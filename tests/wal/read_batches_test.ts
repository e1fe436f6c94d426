import assert from "node:assert/strict";
import {
  CorruptJournalError,
  HEADER_SIZE,
  Journal,
  type JournalRecord,
} from "../../src/wal/mod.ts";
import { payload, sealedThenPending, skipCorruptReader, withTempDir } from "./_util.ts";
import { build, flipAt } from "./_catalogue.ts";

/** Every batch `readBatches(offset)` hands out, the records as handed out (no copies). */
async function batchesOf(journal: Journal, offset: number): Promise<JournalRecord[][]> {
  const out: JournalRecord[][] = [];
  for await (const batch of journal.readBatches(offset)) out.push(batch);
  return out;
}

/** What `readFrom(offset)` reads, as plain fields. */
async function readFromAll(journal: Journal, offset: number): Promise<JournalRecord[]> {
  const out: JournalRecord[] = [];
  for await (const r of journal.readFrom(offset)) out.push(r);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

Deno.test("Journal.readBatches() hands out what readFrom() reads, in order, across rotations", async () => {
  await withTempDir(async (dir) => {
    const b = await build(dir);
    const journal = await Journal.open(dir, b.options);
    const batches = await batchesOf(journal, journal.firstOffset);
    assert.ok(batches.every((batch) => batch.length > 0), "no empty batch");
    // A batch never spans segments: each of the four ends one.
    assert.equal(batches.length, b.segments.length);
    assert.deepEqual(batches.flat(), await readFromAll(journal, journal.firstOffset));
    assert.deepEqual(batches.flat().map((r) => r.payload), b.records.map((r) => r.payload));
    // From an offset inside a segment, too.
    const from = b.records[7].offset;
    assert.deepEqual((await batchesOf(journal, from)).flat(), await readFromAll(journal, from));
    await journal.close();
  });
});

Deno.test("Journal.readBatches() hands out views that stay valid while later chunks are read", async () => {
  await withTempDir(async (dir) => {
    // 3 MiB in one segment: the reader refills its 1 MiB buffer several times.
    const payloads = Array.from({ length: 48 }, (_, i) => payload(i, 64 * 1024 - 7 * i));
    const writer = await Journal.open(dir, { segmentBytes: 8 * 1024 * 1024 });
    await writer.appendBatch(payloads);
    const batches = await batchesOf(writer, 0);
    assert.ok(batches.length > 2, `read in ${batches.length} batches`);
    const kept = batches.flat();
    const copies = await readFromAll(writer, 0);
    assert.equal(kept.length, payloads.length);
    // The first record whose bytes changed under it, if any (a diff of 3 MiB would not print).
    const changed = kept.findIndex((r, i) =>
      r.next - r.offset !== HEADER_SIZE + payloads[i].length ||
      !sameBytes(r.payload, payloads[i]) || !sameBytes(r.digest, copies[i].digest)
    );
    assert.equal(changed, -1);
    await writer.close();
  });
});

Deno.test("Journal.readBatches() throws CorruptJournalError at damage in a sealed segment after the records before it, until reopened", async () => {
  await withTempDir(async (dir) => {
    const b = await build(dir);
    const [, s1, s2] = b.segments;
    const victim = b.records[s1.records[1]];
    await flipAt(b, victim.offset + HEADER_SIZE + 1);
    const journal = await Journal.open(dir, b.options);
    const seen: number[] = [];
    const first = await (async () => {
      for await (const batch of journal.readBatches(journal.firstOffset)) {
        seen.push(...batch.map((r) => r.offset));
      }
    })().then(() => null, (e: unknown) => e);
    assert.ok(first instanceof CorruptJournalError);
    assert.equal(first.offset, victim.offset);
    assert.deepEqual(seen, b.records.filter((r) => r.offset < victim.offset).map((r) => r.offset));
    // Sticky: every read, wherever it starts, throws the same error.
    const sound = b.records[s2.records[0]].offset;
    await assert.rejects(journal.readBatches(sound).next(), (e) => e === first);
    await assert.rejects(journal.readFrom(sound).next(), (e) => e === first);
    await assert.rejects(journal.read(sound), (e) => e === first);
    await journal.close();
    const reopened = await Journal.open(dir, b.options);
    const [batch] = await batchesOf(reopened, sound);
    assert.deepEqual(batch[0].payload, b.records[s2.records[0]].payload);
    await reopened.close();
  });
});

Deno.test('Journal.readBatches() of a "skip-corrupt" reader skips a bad record, reporting it after the records before it', async () => {
  await withTempDir(async (dir) => {
    const { reader, results, events, skipped } = await skipCorruptReader(dir);
    const seen: { offsets: number[]; eventsBefore: number }[] = [];
    for await (const batch of reader.readBatches(0)) {
      seen.push({ offsets: batch.map((r) => r.offset), eventsBefore: events.length });
    }
    assert.deepEqual(seen, [
      { offsets: [results[0].offset, results[1].offset], eventsBefore: 0 },
      { offsets: results.slice(3).map((r) => r.offset), eventsBefore: 1 },
    ]);
    assert.deepEqual(events, [skipped]);
    await reader.close();
  });
});

Deno.test("Journal.readBatches() never hands out a record past the durable end, whatever the end option", async () => {
  await withTempDir(async (dir) => {
    // The first record is sealed by a rotation; the second is written, not durable.
    const { writer, sealed: a, pending: b } = await sealedThenPending(dir);
    const reader = await Journal.open(dir, { readOnly: true });
    for (const journal of [writer, reader]) {
      const offsets = [];
      for await (const batch of journal.readBatches(0, { end: b.next + 1_000 })) {
        offsets.push(...batch.map((r) => r.offset));
      }
      assert.deepEqual(offsets, [a.offset]);
    }
    await writer.close(); // syncs and publishes
    const resumed = (await batchesOf(reader, a.next)).flat();
    assert.deepEqual(resumed.map((r) => [r.offset, r.payload]), [[b.offset, payload(2, 100)]]);
    await reader.close();
  });
});

Deno.test("Journal.readBatches() stops before the end option and resumes at a record's next offset after a stop mid-batch", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir);
    const results = await journal.appendBatch(Array.from({ length: 10 }, (_, i) => payload(i)));
    const upTo = [];
    for await (const batch of journal.readBatches(0, { end: results[4].offset })) {
      upTo.push(...batch.map((r) => r.offset));
    }
    assert.deepEqual(upTo, results.slice(0, 4).map((r) => r.offset));
    // Stop in the middle of the first batch: its file is closed (the test's resource check).
    let stop: JournalRecord | null = null;
    for await (const batch of journal.readBatches(0)) {
      assert.equal(batch.length, 10, "one batch holds all ten");
      stop = batch[2];
      break;
    }
    const rest = (await batchesOf(journal, stop!.next)).flat();
    assert.deepEqual(rest.map((r) => r.offset), results.slice(3).map((r) => r.offset));
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(journal.readBatches(0, { signal: controller.signal }).next(), {
      name: "AbortError",
    });
    await journal.close();
  });
});
