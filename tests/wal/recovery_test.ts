import assert from "node:assert/strict";
import {
  type CorruptionReason,
  CorruptJournalError,
  HEADER_SIZE,
  Journal,
  type JournalOptions,
  type RecoveryEvent,
} from "../../src/wal/mod.ts";
import { flipByte, payload, readAll, segPath, setHead, withTempDir } from "./_util.ts";

/** Build a one-segment log of `n` records appended one by one; returns their results. */
async function buildLog(dir: string, n: number, options: JournalOptions = {}) {
  const journal = await Journal.open(dir, options);
  const results = [];
  for (let i = 0; i < n; i++) results.push(await journal.append(payload(i)));
  await journal.close();
  return results;
}

const SMALL = { segmentBytes: 1 << 20 };

Deno.test("Journal.open() recovers a crash cut at every byte of the last records", async () => {
  await withTempDir(async (dir) => {
    const results = await buildLog(dir, 8, SMALL);
    const path = segPath(dir, 0);
    const full = await Deno.readFile(path);
    const acked = results[5].offset; // the last 3 records are unacknowledged
    for (const head of [acked, null]) {
      for (let cut = acked; cut <= full.length; cut++) {
        await Deno.writeFile(path, full.subarray(0, cut));
        await setHead(dir, head);
        const journal = await Journal.open(dir, SMALL);
        const kept = results.filter((r) => r.next <= cut);
        const read = await readAll(journal);
        assert.deepEqual(read, kept.map((_, i) => payload(i)), `cut ${cut} head ${head}`);
        const end = kept[kept.length - 1].next;
        assert.equal(journal.durableOffset, end);
        assert.equal(journal.recovery!.events.length, cut === end ? 0 : 1);
        if (cut !== end) assert.equal(journal.recovery!.events[0].kind, "truncated");
        const next = await journal.append(payload(100));
        assert.equal(next.offset, end);
        await journal.close();
      }
    }
  });
});

Deno.test("Journal.open() refuses a journal cut below the durable end", async () => {
  await withTempDir(async (dir) => {
    const results = await buildLog(dir, 4, SMALL);
    const path = segPath(dir, 0);
    await Deno.truncate(path, results[2].offset + 10);
    await assert.rejects(Journal.open(dir, SMALL), (e: unknown) => {
      assert.ok(e instanceof CorruptJournalError);
      assert.equal(e.reason, "missing bytes");
      assert.equal(e.file, path);
      assert.equal(e.offset, results[2].offset + 10);
      return true;
    });
  });
});

Deno.test("Journal.open() truncates every single-byte flip of an unacknowledged tail record", async () => {
  await withTempDir(async (dir) => {
    const results = await buildLog(dir, 5, SMALL);
    const path = segPath(dir, 0);
    const full = await Deno.readFile(path);
    const tail = results[4];
    for (let pos = tail.offset; pos < tail.next; pos++) {
      await Deno.writeFile(path, full);
      await flipByte(path, pos);
      await setHead(dir, tail.offset);
      const journal = await Journal.open(dir, SMALL);
      assert.equal(journal.durableOffset, tail.offset, `flip at ${pos}`);
      assert.equal((await readAll(journal)).length, 4);
      assert.equal(journal.recovery!.events[0].offset, tail.offset);
      await journal.close();
      assert.equal((await Deno.stat(path)).size, tail.offset);
    }
  });
});

/** A three-segment log; the middle segment's second record is the victim. */
async function sealedLog(dir: string) {
  const options = { segmentBytes: 400 };
  const journal = await Journal.open(dir, options);
  const results = [];
  for (let i = 0; i < 20; i++) results.push(await journal.append(payload(i, 60)));
  const segments = await journal.segments();
  await journal.close();
  assert.ok(segments.length >= 3);
  const middle = segments[1];
  const victim = results.findIndex((r) => r.offset > middle.base)!;
  return { options, results, segments, middle, victim };
}

Deno.test('Journal.open({ verify: "full" }) names the offset of every flipped byte in a sealed segment', async () => {
  await withTempDir(async (dir) => {
    const { options, results, middle, victim } = await sealedLog(dir);
    const full = await Deno.readFile(middle.path);
    const v = results[victim];
    for (let pos = v.offset; pos < v.next; pos++) {
      await Deno.writeFile(middle.path, full);
      await flipByte(middle.path, pos - middle.base);
      await assert.rejects(Journal.open(dir, { ...options, verify: "full" }), (e: unknown) => {
        assert.ok(e instanceof CorruptJournalError, String(e));
        assert.equal(e.offset, v.offset, `flip at ${pos}`);
        assert.equal(e.file, middle.path);
        assert.match(e.message, new RegExp(`offset ${v.offset}`));
        return true;
      });
    }
    // Nothing was modified.
    assert.equal((await Deno.stat(middle.path)).size, full.length);
  });
});

Deno.test("Journal.read() of a flipped record in a sealed segment throws CorruptJournalError", async () => {
  await withTempDir(async (dir) => {
    const { options, results, middle, victim } = await sealedLog(dir);
    await flipByte(middle.path, results[victim].offset - middle.base + HEADER_SIZE + 3);
    const journal = await Journal.open(dir, options); // tail verify does not scan sealed segments
    await assert.rejects(journal.read(results[victim].offset), (e: unknown) => {
      assert.ok(e instanceof CorruptJournalError);
      assert.equal(e.reason, "crc mismatch");
      assert.equal(e.offset, results[victim].offset);
      return true;
    });
    const iterate = () => readAll(journal);
    await assert.rejects(iterate(), CorruptJournalError);
    await journal.close();
  });
});

Deno.test('recovery "absolute" refuses a torn tail and modifies nothing', async () => {
  await withTempDir(async (dir) => {
    const results = await buildLog(dir, 3, SMALL);
    const path = segPath(dir, 0);
    await Deno.truncate(path, results[2].next - 1);
    await setHead(dir, results[2].offset);
    await assert.rejects(Journal.open(dir, { ...SMALL, recovery: "absolute" }), (e: unknown) => {
      assert.ok(e instanceof CorruptJournalError);
      assert.equal(e.offset, results[2].offset);
      assert.equal(e.reason, "torn payload");
      return true;
    });
    assert.equal((await Deno.stat(path)).size, results[2].next - 1);
    // The default mode then truncates it.
    const journal = await Journal.open(dir, SMALL);
    assert.equal(journal.durableOffset, results[2].offset);
    await journal.close();
  });
});

Deno.test('recovery "point-in-time" cuts at the first bad record and deletes later segments', async () => {
  await withTempDir(async (dir) => {
    const { options, results, segments, middle, victim } = await sealedLog(dir);
    await flipByte(middle.path, results[victim].offset - middle.base + HEADER_SIZE);
    const events: RecoveryEvent[] = [];
    const journal = await Journal.open(dir, {
      ...options,
      verify: "full",
      recovery: "point-in-time",
      onRecovery: (e) => events.push(e),
    });
    assert.equal(journal.durableOffset, results[victim].offset);
    assert.deepEqual(
      await readAll(journal),
      results.slice(0, victim).map((_, i) => payload(i, 60)),
    );
    assert.deepEqual((await journal.segments()).map((s) => s.base), [
      segments[0].base,
      middle.base,
    ]);
    assert.ok(events.some((e) => e.kind === "dropped" && e.offset === results[victim].offset));
    assert.deepEqual(journal.recovery!.events, events);
    const next = await journal.append(payload(99));
    assert.equal(next.offset, results[victim].offset);
    await journal.close();
    // The lowered durable end was published durably: a plain reopen is clean.
    const again = await Journal.open(dir, { ...options, verify: "full" });
    assert.equal((await readAll(again)).length, victim + 1);
    await again.close();
  });
});

Deno.test('recovery "skip-corrupt" skips bad acknowledged records and readers resync', async () => {
  await withTempDir(async (dir) => {
    const { options, results, middle, victim } = await sealedLog(dir);
    await flipByte(middle.path, results[victim].offset - middle.base + HEADER_SIZE + 1);
    // and a torn tail
    const last = results[results.length - 1];
    const tailPath = await (async () => {
      const j = await Journal.open(dir, { readOnly: true });
      const s = await j.segments();
      await j.close();
      return s[s.length - 1];
    })();
    await Deno.truncate(tailPath.path, last.next - tailPath.base - 5);
    await setHead(dir, last.offset);
    const events: RecoveryEvent[] = [];
    const journal = await Journal.open(dir, {
      ...options,
      verify: "full",
      recovery: "skip-corrupt",
      onRecovery: (e) => events.push(e),
    });
    assert.deepEqual(
      events.map((e) => [e.kind, e.offset]),
      [["skipped", results[victim].offset], ["truncated", last.offset]],
    );
    assert.equal(events[0].bytes, results[victim].next - results[victim].offset);
    events.length = 0;
    const read = await readAll(journal);
    const expected = results.slice(0, -1).map((_, i) => payload(i, 60)).filter((_, i) =>
      i !== victim
    );
    assert.deepEqual(read, expected);
    assert.deepEqual(events.map((e) => [e.kind, e.offset]), [["skipped", results[victim].offset]]);
    await journal.append(payload(500));
    await journal.close();
  });
});

Deno.test('recovery "tolerate-torn-tail" truncates a torn batch whose later records survived', async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, SMALL);
    const acked = await journal.appendBatch([payload(1), payload(2)]);
    const batch = await journal.appendBatch([payload(3), payload(4), payload(5), payload(6)]);
    await journal.close();
    const path = segPath(dir, 0);
    const full = await Deno.readFile(path);
    // The second batch was never acknowledged (the head still names the first),
    // and its second record tore while the third and fourth reached the disk.
    for (const flip of [batch[1].offset, batch[1].offset + HEADER_SIZE + 2]) {
      await Deno.writeFile(path, full);
      await flipByte(path, flip);
      await setHead(dir, acked[1].next);
      const reopened = await Journal.open(dir, SMALL);
      assert.equal(reopened.durableOffset, batch[1].offset);
      assert.deepEqual(await readAll(reopened), [payload(1), payload(2), payload(3)]);
      assert.equal(reopened.recovery!.events.length, 1);
      assert.equal(reopened.recovery!.events[0].bytes, batch[3].next - batch[1].offset);
      await reopened.close();
    }
    // The same damage below the durable end is corruption of acknowledged data.
    await Deno.writeFile(path, full);
    await flipByte(path, batch[1].offset + HEADER_SIZE + 2);
    await setHead(dir, batch[3].next);
    await assert.rejects(Journal.open(dir, { ...SMALL, verify: "full" }), (e: unknown) => {
      assert.ok(e instanceof CorruptJournalError);
      assert.equal(e.offset, batch[1].offset);
      return true;
    });
    // Without a durable end (lost) the first bad record is taken as the tail.
    await setHead(dir, null);
    const lost = await Journal.open(dir, SMALL);
    assert.equal(lost.durableOffset, batch[1].offset);
    await lost.close();
  });
});

Deno.test("Journal.open() reports a missing sealed segment", async () => {
  await withTempDir(async (dir) => {
    const { options, segments } = await sealedLog(dir);
    await Deno.remove(segments[1].path);
    await assert.rejects(Journal.open(dir, options), (e: unknown) => {
      assert.ok(e instanceof CorruptJournalError);
      assert.equal(e.reason satisfies CorruptionReason, "missing segment");
      assert.equal(e.offset, segments[0].end);
      assert.equal(e.file, segments[0].path);
      return true;
    });
  });
});

Deno.test("Journal.open() rejects an unsupported metadata version clearly", async () => {
  await withTempDir(async (dir) => {
    await buildLog(dir, 1);
    await Deno.writeTextFile(
      `${dir}/journal.json`,
      JSON.stringify({ version: 3, id: "0".repeat(32) }),
    );
    await assert.rejects(Journal.open(dir), /format version "3" is not supported, expected "2"/);
    await Deno.writeTextFile(`${dir}/journal.json`, "{garbage");
    await assert.rejects(Journal.open(dir), CorruptJournalError);
  });
});

Deno.test("Journal.open() keeps the journal id across reopens", async () => {
  await withTempDir(async (dir) => {
    const a = await Journal.open(dir);
    assert.match(a.id, /^[0-9a-f]{32}$/);
    await a.close();
    const b = await Journal.open(dir);
    assert.equal(b.id, a.id);
    await b.close();
  });
});
