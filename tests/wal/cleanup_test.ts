import assert from "node:assert/strict";
import { Journal, OffsetError } from "../../src/wal/mod.ts";
import { payload, withTempDir } from "./_util.ts";

Deno.test("Journal.removeSegmentsBefore() deletes only sealed segments wholly below the offset", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { segmentBytes: 256 });
    const results = [];
    for (let i = 0; i < 40; i++) results.push(await journal.append(payload(i)));
    const segments = await journal.segments();
    assert.ok(segments.length >= 6);
    // An offset inside segment 3 keeps segment 3.
    const inside = segments[3].base + 1;
    assert.equal(await journal.removeSegmentsBefore(inside), 3);
    assert.equal(journal.firstOffset, segments[3].base);
    for (const r of results.filter((r) => r.offset >= segments[3].base)) {
      assert.deepEqual((await journal.read(r.offset)).payload, payload(results.indexOf(r)));
    }
    await assert.rejects(journal.read(results[0].offset), OffsetError);
    assert.equal(await journal.removeSegmentsBefore(inside), 0);
    // Never the active segment, even with an offset past everything.
    const remaining = (await journal.segments()).length;
    assert.equal(await journal.removeSegmentsBefore(Number.MAX_SAFE_INTEGER), remaining - 1);
    const left = await journal.segments();
    assert.equal(left.length, 1);
    assert.equal(left[0].sealed, false);
    await journal.append(payload(100));
    await journal.close();
    const reopened = await Journal.open(dir, { segmentBytes: 256 });
    assert.equal(reopened.firstOffset, left[0].base);
    await reopened.close();
  });
});

Deno.test("Journal.removeSegmentsBefore() keeps a segment that ends exactly past the offset", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { segmentBytes: 256 });
    for (let i = 0; i < 20; i++) await journal.append(payload(i));
    const segments = await journal.segments();
    assert.equal(await journal.removeSegmentsBefore(segments[1].end - 1), 1);
    assert.equal(await journal.removeSegmentsBefore(segments[1].end), 1);
    assert.equal(journal.firstOffset, segments[2].base);
    await journal.close();
  });
});

Deno.test("Journal.readFrom() finishes a segment that cleanup removes under it", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { segmentBytes: 256 });
    const payloads = Array.from({ length: 30 }, (_, i) => payload(i));
    for (const p of payloads) await journal.append(p);
    const seen: Uint8Array[] = [];
    for await (const record of journal.readFrom(0)) {
      if (seen.length === 1) await journal.removeSegmentsBefore(journal.durableOffset);
      seen.push(record.payload);
      if (seen.length > 1) break;
    }
    assert.deepEqual(seen, payloads.slice(0, 2));
    await journal.close();
  });
});
