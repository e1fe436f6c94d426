import assert from "node:assert/strict";
import { HEAD_FILE, HEADER_SIZE, Journal, verifyJournal } from "../../src/wal/mod.ts";
import { flipByte, payload, withTempDir } from "./_util.ts";

Deno.test("verifyJournal() counts records, bytes and segments of a clean journal", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { segmentBytes: 300 });
    const results = await journal.appendBatch(Array.from({ length: 30 }, (_, i) => payload(i)));
    const segments = (await journal.segments()).length;
    await journal.close();
    const report = await verifyJournal(dir);
    assert.deepEqual(report, {
      segments,
      records: 30,
      bytes: results[29].next,
      durableOffset: results[29].next,
      problems: [],
    });
  });
});

Deno.test("verifyJournal() reports a flipped byte with its segment file and offset", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { segmentBytes: 300 });
    const results = await journal.appendBatch(Array.from({ length: 30 }, (_, i) => payload(i)));
    const segments = await journal.segments();
    await journal.close();
    const victim = results.find((r) => r.offset > segments[1].base)!;
    await flipByte(segments[1].path, victim.offset - segments[1].base + HEADER_SIZE + 2);
    const report = await verifyJournal(dir);
    assert.deepEqual(report.problems, [{
      file: segments[1].path,
      offset: victim.offset,
      reason: "crc mismatch",
    }]);
    assert.equal(report.records, 29);
  });
});

Deno.test("verifyJournal() reports a payload that does not match its digest", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir);
    await journal.append(payload(1));
    await journal.close();
    // Rewrite the digest and recompute the crc so only BLAKE3 can notice.
    const { loadHashers } = await import("../../src/wal/checksums.ts");
    const h = await loadHashers();
    const path = `${dir}/00000000000000000000.wal`;
    const bytes = await Deno.readFile(path);
    bytes[8] ^= 1;
    new DataView(bytes.buffer).setUint32(
      4,
      h.crc32c(bytes.subarray(0, 4), bytes.subarray(8)),
      true,
    );
    await Deno.writeFile(path, bytes);
    const report = await verifyJournal(dir);
    assert.deepEqual(report.problems, [{ file: path, offset: 0, reason: "digest mismatch" }]);
  });
});

Deno.test("verifyJournal() reports a missing segment and a durable end past the data", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { segmentBytes: 300 });
    await journal.appendBatch(Array.from({ length: 30 }, (_, i) => payload(i)));
    const segments = await journal.segments();
    await journal.close();
    await Deno.remove(segments[1].path);
    const last = segments[segments.length - 1];
    await Deno.truncate(last.path, 0);
    const report = await verifyJournal(dir);
    assert.deepEqual(report.problems, [
      { file: segments[0].path, offset: segments[0].end, reason: "missing segment" },
      { file: last.path, offset: last.base, reason: "missing bytes" },
    ]);
  });
});

Deno.test("verifyJournal() agrees with Journal.open() on a missing, garbled or mid-record durable file", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir);
    const results = await journal.appendBatch(Array.from({ length: 5 }, (_, i) => payload(i)));
    await journal.close();
    const { setHead } = await import("./_util.ts");
    for (const head of [null, results[2].offset + 3]) {
      await setHead(dir, head);
      const report = await verifyJournal(dir);
      assert.deepEqual(report.problems, [], `durable end ${head}`);
      assert.equal(report.durableOffset, head);
      const reopened = await Journal.open(dir, { recovery: "absolute" });
      assert.deepEqual(reopened.recovery!.events, [], "open recovers it without a word");
      assert.equal(reopened.durableOffset, results[4].next);
      await reopened.close();
    }
    const bytes = await Deno.readFile(`${dir}/${HEAD_FILE}`);
    bytes[0] ^= 1;
    await Deno.writeFile(`${dir}/${HEAD_FILE}`, bytes);
    assert.deepEqual((await verifyJournal(dir)).problems, []);
  });
});

Deno.test("verifyJournal() reports a segment renamed to a base its neighbours disagree with", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { segmentBytes: 300 });
    await journal.appendBatch(Array.from({ length: 30 }, (_, i) => payload(i)));
    const segments = await journal.segments();
    await journal.close();
    const moved = `${dir}/${String(segments[1].base + 1).padStart(20, "0")}.wal`;
    await Deno.rename(segments[1].path, moved);
    const report = await verifyJournal(dir);
    assert.deepEqual(report.problems, [
      { file: moved, offset: segments[1].base + 1, reason: "misplaced segment" },
      { file: segments[0].path, offset: segments[0].end, reason: "missing segment" },
    ]);
  });
});
