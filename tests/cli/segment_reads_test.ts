import assert from "node:assert/strict";
import { Journal, repairJournal, segmentName, verifyJournal } from "../../src/wal/mod.ts";
import { countingReads, segmentBytes } from "../../src/cli/_segment_reads.ts";

Deno.test("verify's progress counts every segment byte once, ending at the segments' total", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const journal = await Journal.open(dir, { segmentBytes: 64 * 1024 });
    for (let i = 0; i < 20; i++) {
      await journal.appendBatch(Array.from({ length: 50 }, () => new Uint8Array(200).fill(i)));
    }
    await journal.close();
    const total = await segmentBytes(dir);
    assert.ok(total !== undefined && total > 200_000);
    const seen: number[] = [];
    const report = await verifyJournal(dir, { fs: countingReads((n) => seen.push(n)) });
    assert.deepEqual(report.problems, []);
    assert.ok(report.segments > 1, "several segment files");
    assert.equal(seen.at(-1), total);
    assert.ok(seen.every((n, i) => i === 0 || n > seen[i - 1]), "only grows");
    assert.equal(await segmentBytes(`${dir}/missing`), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("repair's progress counts every segment byte once, ending at the segments' total", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const journal = await Journal.open(dir, { segmentBytes: 64 * 1024 });
    for (let i = 0; i < 20; i++) {
      await journal.appendBatch(Array.from({ length: 50 }, () => new Uint8Array(200).fill(i)));
    }
    await journal.close();
    // a flipped payload byte in the first (sealed) segment, for repair to fill
    const first = `${dir}/${segmentName(0)}`;
    const bytes = await Deno.readFile(first);
    bytes[1000] ^= 0xff;
    await Deno.writeFile(first, bytes);
    const total = await segmentBytes(dir);
    const seen: number[] = [];
    const fs = countingReads((n) => seen.push(n));
    const report = await repairJournal(dir, { recovery: "skip-corrupt", fs });
    assert.deepEqual(report.actions.map((a) => a.action), ["filled"]);
    assert.equal(seen.at(-1), total);
    assert.ok(seen.every((n, i) => i === 0 || n > seen[i - 1]), "only grows");
    assert.deepEqual((await verifyJournal(dir)).problems, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
