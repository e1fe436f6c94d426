import assert from "node:assert/strict";
import {
  CorruptJournalError,
  HEAD_FILE,
  HEADER_SIZE,
  Journal,
  JournalNotFoundError,
  OffsetError,
  type RecoveryEvent,
} from "../../src/wal/mod.ts";
import { payload, readAll, sealedThenPending, skipCorruptReader, withTempDir } from "./_util.ts";
import { build, except, flipAt } from "./_catalogue.ts";

Deno.test("a read-only Journal sees nothing past the published durable end", async () => {
  await withTempDir(async (dir) => {
    const writer = await Journal.open(dir, { durability: "interval", syncIntervalMs: 60_000 });
    const reader = await Journal.open(dir, { readOnly: true });
    const a = await writer.append(payload(1)); // written, not yet synced or published
    assert.equal(writer.durableOffset, 0);
    assert.equal(await reader.refresh(), 0);
    assert.deepEqual(await readAll(reader), []);
    await assert.rejects(reader.read(a.offset), OffsetError);
    await assert.rejects(writer.read(a.offset), OffsetError);
    await writer.close(); // syncs and publishes
    assert.equal(await reader.refresh(), a.next);
    assert.deepEqual(await readAll(reader), [payload(1)]);
    await reader.close();
  });
});

Deno.test("a read-only Journal follows the writer across rotations", async () => {
  await withTempDir(async (dir) => {
    const writer = await Journal.open(dir, { segmentBytes: 300 });
    const reader = await Journal.open(dir, { readOnly: true });
    const all = [];
    let cursor = 0;
    for (let round = 0; round < 5; round++) {
      const batch = Array.from({ length: 7 }, (_, i) => payload(round * 10 + i));
      all.push(...batch);
      const results = await writer.appendBatch(batch);
      // read(offset) past the segments the reader knows refreshes once.
      assert.deepEqual((await reader.read(results[6].offset)).payload, batch[6]);
      const seen = [];
      for await (const r of reader.readFrom(cursor)) {
        seen.push(r.payload);
        cursor = r.next;
      }
      assert.deepEqual(seen, batch);
    }
    assert.deepEqual(await readAll(reader), all);
    assert.ok((await reader.segments()).length > 5);
    await reader.close();
    await writer.close();
  });
});

Deno.test("a read-only Journal falls back to scanning when the durable file is garbled", async () => {
  await withTempDir(async (dir) => {
    const writer = await Journal.open(dir);
    await writer.appendBatch([payload(1), payload(2)]);
    await writer.close();
    await Deno.writeFile(`${dir}/${HEAD_FILE}`, new Uint8Array(16).fill(7));
    const reader = await Journal.open(dir, { readOnly: true });
    assert.deepEqual(await readAll(reader), [payload(1), payload(2)]);
    await reader.close();
  });
});

Deno.test("a read-only Journal writes nothing", async () => {
  await withTempDir(async (dir) => {
    const writer = await Journal.open(dir, { segmentBytes: 200 });
    for (let i = 0; i < 10; i++) await writer.append(payload(i));
    await writer.close();
    const before = await snapshot(dir);
    const reader = await Journal.open(dir, { readOnly: true, segmentBytes: 200 });
    await readAll(reader);
    await reader.refresh();
    await assert.rejects(reader.removeSegmentsBefore(1000), TypeError);
    await reader.close();
    assert.deepEqual(await snapshot(dir), before);
  });
});

Deno.test("Journal.open({ readOnly: true }) fails with JournalNotFoundError without a journal, creating nothing", async () => {
  await withTempDir(async (dir) => {
    for (const where of [dir, `${dir}/missing/wal`]) {
      await assert.rejects(Journal.open(where, { readOnly: true }), (e: unknown) => {
        assert.ok(e instanceof JournalNotFoundError);
        assert.equal(e.dir, where);
        assert.match(e.message, /no journal there yet \(no "journal.json" found\)/);
        return true;
      });
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test('durability "none" publishes after the write and "interval" after the timer\'s sync', async () => {
  await withTempDir(async (dir) => {
    const none = await Journal.open(`${dir}/none`, { durability: "none" });
    const a = await none.append(payload(1));
    assert.equal(none.durableOffset, a.next);
    await none.close();
    const interval = await Journal.open(`${dir}/interval`, {
      durability: "interval",
      syncIntervalMs: 5,
    });
    const b = await interval.append(payload(2));
    for (let i = 0; i < 200 && interval.durableOffset < b.next; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(interval.durableOffset, b.next);
    await interval.close();
  });
});

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dir)) {
    const info = await Deno.stat(`${dir}/${e.name}`);
    const bytes = await Deno.readFile(`${dir}/${e.name}`);
    out[e.name] = `${info.mtime?.getTime()}:${bytes.join(",")}`;
  }
  return out;
}

Deno.test('a read-only Journal opened "skip-corrupt" resyncs past a corrupt record and reports it', async () => {
  await withTempDir(async (dir) => {
    const { reader, results, events, skipped } = await skipCorruptReader(dir);
    const seen = [];
    for await (const r of reader.readFrom(0)) seen.push(r.offset);
    assert.deepEqual(seen, results.filter((_, i) => i !== 2).map((r) => r.offset));
    assert.deepEqual(events, [skipped]);
    await reader.close();
    // The default mode refuses to hand it out.
    const strict = await Journal.open(dir, { readOnly: true });
    await assert.rejects(readAll(strict), CorruptJournalError);
    await strict.close();
  });
});

Deno.test('durability "interval" publishes the durable end when it seals a segment', async () => {
  await withTempDir(async (dir) => {
    // Checks the durable end is 0 after the first append, then the first record's end once the
    // second append rotates, syncing and sealing the first segment.
    const { writer, sealed } = await sealedThenPending(dir);
    assert.equal(writer.durableOffset, sealed.next);
    const reader = await Journal.open(dir, { readOnly: true });
    assert.deepEqual(await readAll(reader), [payload(1, 100)]);
    await reader.close();
    await writer.close();
  });
});

Deno.test("Journal.read() and readFrom() keep throwing the same CorruptJournalError until reopened", async () => {
  await withTempDir(async (dir) => {
    const b = await build(dir);
    const [, s1, s2] = b.segments;
    const victim = b.records[s1.records[1]];
    await flipAt(b, victim.offset + HEADER_SIZE + 1);
    const journal = await Journal.open(dir, b.options);
    const first = await readAll(journal).then(() => null, (e: unknown) => e);
    assert.ok(first instanceof CorruptJournalError);
    assert.equal(first.offset, victim.offset);
    const sound = b.records[s2.records[0]].offset; // well past the damage
    await assert.rejects(journal.read(sound), (e) => e === first);
    await assert.rejects(journal.readFrom(sound).next(), (e) => e === first);
    const appended = await journal.append(payload(1)); // the writer is not poisoned
    await journal.close();
    const reopened = await Journal.open(dir, b.options);
    assert.deepEqual((await reopened.read(sound)).payload, b.records[s2.records[0]].payload);
    assert.deepEqual((await reopened.read(appended.offset)).payload, payload(1));
    await reopened.close();
  });
});

Deno.test('a read-only Journal opened "skip-corrupt" never reads a misplaced segment', async () => {
  await withTempDir(async (dir) => {
    const b = await build(dir);
    const s1 = b.segments[1];
    const moved = `${dir}/${String(s1.base + 1).padStart(20, "0")}.wal`;
    await Deno.rename(`${dir}/${s1.name}`, moved);
    const events: RecoveryEvent[] = [];
    const reader = await Journal.open(dir, {
      readOnly: true,
      recovery: "skip-corrupt",
      onRecovery: (e) => events.push(e),
    });
    const seen = [];
    for await (const r of reader.readFrom(reader.firstOffset)) seen.push(r.offset);
    assert.deepEqual(seen, except(b, s1.base, s1.end), "every record at its own offset");
    assert.deepEqual(events.map((e) => [e.kind, e.offset, e.reason]), [
      ["skipped", s1.base, "missing bytes"],
    ]);
    await reader.close();
  });
});
