import assert from "node:assert/strict";
import {
  CorruptJournalError,
  HEAD_FILE,
  Journal,
  OffsetError,
  verifyJournal,
} from "../../src/wal/mod.ts";
import { payload, withTempDir } from "./_util.ts";

/** A small deterministic PRNG (xorshift32). */
function prng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

Deno.test("random byte damage never hangs, crashes or yields a record that does not verify", async () => {
  await withTempDir(async (dir) => {
    const options = { segmentBytes: 600 };
    const journal = await Journal.open(dir, options);
    const payloads = Array.from({ length: 40 }, (_, i) => payload(i, 20 + (i * 7) % 60));
    const results = await journal.appendBatch(payloads);
    const segments = await journal.segments();
    await journal.close();
    const originals = await Promise.all(segments.map((s) => Deno.readFile(s.path)));
    const head = await Deno.readFile(`${dir}/${HEAD_FILE}`);
    const byOffset = new Map(results.map((r, i) => [r.offset, payloads[i]]));
    const random = prng(12345);
    for (let round = 0; round < 40; round++) {
      for await (const e of Deno.readDir(dir)) {
        const path = `${dir}/${e.name}`;
        if (e.name.endsWith(".wal") && !segments.some((s) => s.path === path)) {
          await Deno.remove(path);
        }
      }
      for (let i = 0; i < segments.length; i++) {
        await Deno.writeFile(segments[i].path, originals[i]);
      }
      await Deno.writeFile(`${dir}/${HEAD_FILE}`, head);
      for (let k = 0; k < 1 + (round % 4); k++) {
        const i = Math.floor(random() * segments.length);
        const pos = Math.floor(random() * originals[i].length);
        const bytes = await Deno.readFile(segments[i].path);
        bytes[pos] ^= 1 + Math.floor(random() * 255);
        await Deno.writeFile(segments[i].path, bytes);
      }
      const report = await verifyJournal(dir);
      assert.ok(report.problems.length > 0 || report.records === payloads.length);
      const reader = await Journal.open(dir, {
        ...options,
        readOnly: true,
        recovery: "skip-corrupt",
      });
      for await (const record of reader.readFrom(reader.firstOffset)) {
        assert.deepEqual(record.payload, byOffset.get(record.offset), `round ${round}`);
      }
      for (const r of results) {
        try {
          assert.deepEqual((await reader.read(r.offset)).payload, byOffset.get(r.offset));
        } catch (e) {
          assert.ok(e instanceof CorruptJournalError || e instanceof OffsetError, String(e));
        }
      }
      await reader.close();
      // Point-in-time recovery keeps a verified prefix and accepts appends.
      const writer = await Journal.open(dir, {
        ...options,
        verify: "full",
        recovery: "point-in-time",
      });
      let expected = results[0].offset;
      for await (const record of writer.readFrom(writer.firstOffset)) {
        assert.equal(record.offset, expected);
        assert.deepEqual(record.payload, byOffset.get(record.offset));
        expected = record.next;
      }
      assert.equal(expected, writer.durableOffset);
      await writer.append(payload(999));
      await writer.close();
    }
  });
});
