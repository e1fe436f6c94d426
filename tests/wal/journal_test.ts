import assert from "node:assert/strict";
import {
  HEADER_SIZE,
  Journal,
  JournalClosedError,
  OffsetError,
  RecordSizeError,
} from "../../src/wal/mod.ts";
import { faultLayer, payload, readAll, withTempDir } from "./_util.ts";

Deno.test("Journal.append() resolves offsets that read() returns byte-exactly", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir);
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await journal.append(payload(i)));
    assert.equal(results[0].offset, 0);
    for (let i = 0; i < 20; i++) {
      const record = await journal.read(results[i].offset);
      assert.deepEqual(record.payload, payload(i));
      assert.deepEqual(record.digest, results[i].digest);
      assert.equal(record.next, results[i].next);
      assert.equal(results[i].next - results[i].offset, HEADER_SIZE + payload(i).length);
    }
    assert.equal(journal.durableOffset, results[19].next);
    await journal.close();
  });
});

Deno.test("Journal.appendBatch() writes contiguous records with one write and one fdatasync", async () => {
  await withTempDir(async (dir) => {
    const fs = faultLayer();
    const journal = await Journal.open(dir, { fs, preallocateBytes: 0 });
    const writes = fs.segmentWrites;
    const syncs = fs.segmentSyncs;
    const payloads = Array.from({ length: 100 }, (_, i) => payload(i));
    const results = await journal.appendBatch(payloads);
    assert.equal(fs.segmentWrites - writes, 1);
    assert.equal(fs.segmentSyncs - syncs, 1);
    for (let i = 1; i < results.length; i++) assert.equal(results[i].offset, results[i - 1].next);
    assert.deepEqual(await readAll(journal), payloads);
    assert.deepEqual(await journal.appendBatch([]), []);
    await journal.close();
  });
});

Deno.test("Journal.append() from concurrent callers gets offsets in call order and shares fsyncs", async () => {
  await withTempDir(async (dir) => {
    const fs = faultLayer();
    const journal = await Journal.open(dir, { fs });
    const syncs = fs.segmentSyncs;
    const n = 200;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => journal.append(payload(i))),
    );
    for (let i = 1; i < n; i++) assert.equal(results[i].offset, results[i - 1].next);
    assert.ok(
      fs.segmentSyncs - syncs < n / 4,
      `expected shared fsyncs, saw ${fs.segmentSyncs - syncs}`,
    );
    const read = await readAll(journal);
    assert.deepEqual(read, Array.from({ length: n }, (_, i) => payload(i)));
    await journal.close();
  });
});

Deno.test("Journal rotates at segmentBytes and reads across segments", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { segmentBytes: 512 });
    const payloads = Array.from({ length: 60 }, (_, i) => payload(i));
    for (let i = 0; i < 30; i++) await journal.append(payloads[i]);
    await journal.appendBatch(payloads.slice(30));
    const segments = await journal.segments();
    assert.ok(segments.length > 5);
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i];
      assert.equal(s.sealed, i < segments.length - 1);
      if (s.sealed) {
        assert.ok(s.end - s.base <= 512);
        assert.equal((await Deno.stat(s.path)).size, s.end - s.base);
        assert.equal(segments[i + 1].base, s.end);
      }
    }
    assert.deepEqual(await readAll(journal), payloads);
    await journal.close();
    const reopened = await Journal.open(dir, { segmentBytes: 512 });
    assert.deepEqual(await readAll(reopened), payloads);
    await reopened.append(payload(99));
    assert.equal((await readAll(reopened)).length, 61);
    await reopened.close();
  });
});

Deno.test("Journal.append() gives a record larger than segmentBytes a segment of its own", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { segmentBytes: 100 });
    await journal.append(payload(1, 10));
    const big = await journal.append(payload(2, 300));
    await journal.append(payload(3, 10));
    const segments = await journal.segments();
    assert.deepEqual(segments.map((s) => s.base), [0, big.offset, big.next]);
    assert.deepEqual((await journal.read(big.offset)).payload, payload(2, 300));
    await journal.close();
  });
});

Deno.test("Journal.append() rejects empty and oversized payloads and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { maxRecordBytes: 100 });
    await assert.rejects(journal.append(new Uint8Array(0)), RecordSizeError);
    await assert.rejects(journal.append(new Uint8Array(101)), RecordSizeError);
    await assert.rejects(
      journal.appendBatch([new Uint8Array(1), new Uint8Array(0)]),
      RecordSizeError,
    );
    assert.equal(journal.durableOffset, 0);
    assert.equal((await Deno.stat(`${dir}/00000000000000000000.wal`)).size, 0);
    await journal.append(new Uint8Array(100));
    await journal.close();
  });
});

Deno.test("Journal.read() rejects offsets that are not record starts with OffsetError", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir);
    const a = await journal.append(payload(1, 100));
    await journal.append(payload(2, 100));
    await assert.rejects(journal.read(a.offset + 1), OffsetError);
    await assert.rejects(journal.read(a.offset + 50), OffsetError);
    await assert.rejects(journal.read(journal.durableOffset), OffsetError);
    await assert.rejects(journal.read(-1), RangeError);
    await journal.close();
  });
});

Deno.test("Journal methods throw JournalClosedError after close()", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir);
    await journal.append(payload(1));
    await journal.close();
    await journal.close();
    await assert.rejects(journal.append(payload(2)), JournalClosedError);
    await assert.rejects(journal.appendBatch([payload(2)]), JournalClosedError);
    await assert.rejects(journal.read(0), JournalClosedError);
    assert.throws(() => journal.readFrom(0), JournalClosedError);
    await assert.rejects(journal.refresh(), JournalClosedError);
  });
});

Deno.test("Journal.close() waits for in-flight appends", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir);
    const pending = Array.from({ length: 50 }, (_, i) => journal.append(payload(i)));
    await journal.close();
    const results = await Promise.all(pending);
    assert.equal(results.length, 50);
    const reopened = await Journal.open(dir);
    assert.equal((await readAll(reopened)).length, 50);
    await reopened.close();
  });
});

Deno.test("Journal.readFrom() stops at the end option and honours an abort signal", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir);
    const results = await journal.appendBatch(Array.from({ length: 10 }, (_, i) => payload(i)));
    const seen = [];
    for await (const r of journal.readFrom(results[2].offset, { end: results[5].offset })) {
      seen.push(r.offset);
    }
    assert.deepEqual(seen, [results[2].offset, results[3].offset, results[4].offset]);
    const controller = new AbortController();
    const iterate = async () => {
      for await (const _ of journal.readFrom(0, { signal: controller.signal })) controller.abort();
    };
    await assert.rejects(iterate());
    await journal.close();
  });
});

Deno.test("Journal rotation fsyncs the directory after creating each segment", async () => {
  await withTempDir(async (dir) => {
    const fs = faultLayer();
    const journal = await Journal.open(dir, { fs, segmentBytes: 200 });
    const before = fs.dirSyncs;
    for (let i = 0; i < 10; i++) await journal.append(payload(i, 100));
    const created = (await journal.segments()).length - 1;
    assert.ok(created >= 4);
    assert.equal(fs.dirSyncs - before, created);
    await journal.removeSegmentsBefore(journal.durableOffset);
    assert.equal(fs.dirSyncs - before, created + 1);
    await journal.close();
  });
});

Deno.test("Journal.open() after a clean close verifies the active segment and no sealed one", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { segmentBytes: 4096 });
    for (let i = 0; i < 20; i++) {
      await journal.appendBatch(Array.from({ length: 20 }, (_, j) => payload(i * 20 + j)));
    }
    const end = journal.durableOffset;
    const active = (await journal.segments()).at(-1)!;
    await journal.close();
    assert.ok(active.base > 0 && active.base < end, "the journal has sealed segments");
    const reopened = await Journal.open(dir, { segmentBytes: 4096 });
    assert.equal(reopened.recovery!.scannedFrom, active.base);
    assert.equal(reopened.recovery!.scannedBytes, end - active.base);
    assert.equal(reopened.recovery!.publishedEnd, end);
    await reopened.close();
    const full = await Journal.open(dir, { segmentBytes: 4096, verify: "full" });
    assert.equal(full.recovery!.scannedBytes, end);
    await full.close();
  });
});

Deno.test('Journal.close() fdatasyncs what durability "none" left unsynced', async () => {
  await withTempDir(async (dir) => {
    const fs = faultLayer();
    const journal = await Journal.open(dir, { fs, durability: "none" });
    const syncs = fs.segmentSyncs;
    await journal.appendBatch([payload(1), payload(2)]);
    await journal.append(payload(3));
    assert.equal(fs.segmentSyncs, syncs);
    await journal.close();
    assert.equal(fs.segmentSyncs, syncs + 1);
  });
});

Deno.test("Journal.onDurable() tells a writer's listeners each new durable end until unsubscribed", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { segmentBytes: 256 });
    const seen: number[] = [];
    const unsubscribe = journal.onDurable((end) => seen.push(end));
    const first = await journal.append(payload(1, 100));
    const batch = await journal.appendBatch([payload(2, 200), payload(3, 200)]);
    assert.equal(seen.at(-1), batch[1].next);
    assert.ok(seen.includes(first.next));
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), "ends only move forward");
    assert.ok(seen.every((end) => end <= journal.durableOffset));
    unsubscribe();
    const count = seen.length;
    await journal.append(payload(4));
    assert.equal(seen.length, count);
    await journal.close();
  });
});

Deno.test("Journal.onDurable() tells a reader's listeners when refresh() sees the end move", async () => {
  await withTempDir(async (dir) => {
    const writer = await Journal.open(dir);
    const reader = await Journal.open(dir, { readOnly: true });
    const seen: number[] = [];
    reader.onDurable((end) => seen.push(end));
    await reader.refresh();
    assert.deepEqual(seen, [], "no move, no call");
    const { next } = await writer.append(payload(1));
    await reader.refresh();
    assert.deepEqual(seen, [next]);
    await reader.close();
    await writer.close();
  });
});

Deno.test("Journal.onDurable() listener that throws is reported and appends still resolve", async () => {
  await withTempDir(async (dir) => {
    const reported: unknown[] = [];
    const onError = (event: ErrorEvent) => {
      event.preventDefault();
      reported.push(event.error);
    };
    globalThis.addEventListener("error", onError);
    try {
      const journal = await Journal.open(dir);
      journal.onDurable(() => {
        throw new Error("listener broke");
      });
      const { offset } = await journal.append(payload(1));
      assert.deepEqual((await journal.read(offset)).payload, payload(1));
      assert.equal((reported[0] as Error).message, "listener broke");
      await journal.close();
    } finally {
      globalThis.removeEventListener("error", onError);
    }
  });
});
