import assert from "node:assert/strict";
import {
  Journal,
  JournalLockedError,
  type RepairAction,
  repairJournal,
  type RepairOptions,
  verifyJournal,
} from "../../src/wal/mod.ts";
import {
  boundaryAtOrBelow,
  build,
  type Built,
  except,
  EXHAUSTIVE,
  flipAt,
  pathOf,
  restore,
  snapshot,
  upTo,
} from "./_catalogue.ts";
import { withTempDir } from "./_util.ts";

/** Repair `b.dir` and check that every reader mode then reads it soundly to its end. */
async function repairAndRead(b: Built, recovery: RepairOptions["recovery"]) {
  const report = await repairJournal(b.dir, { recovery });
  assert.deepEqual((await verifyJournal(b.dir)).problems, [], "verifyJournal after repair");
  const journal = await Journal.open(b.dir, { ...b.options, verify: "full" });
  assert.deepEqual(journal.recovery!.events, [], "a default open after repair finds nothing");
  const records = [];
  for await (const r of journal.readFrom(journal.firstOffset)) records.push(r);
  let at = journal.firstOffset;
  for (const r of records) {
    assert.equal(r.offset, at, "no hole");
    at = r.next;
  }
  assert.equal(at, journal.durableOffset);
  assert.equal(report.end, journal.durableOffset);
  const next = await journal.append(new Uint8Array([7]));
  assert.equal(next.offset, report.end);
  await journal.close();
  return { report, records };
}

const summary = (actions: RepairAction[]) => actions.map((a) => [a.action, a.offset, a.reason]);

Deno.test('repairJournal({ recovery: "skip-corrupt" }) fills each flipped sealed record and keeps every other offset', async () => {
  await withTempDir(async (dir) => {
    const b = await build(dir);
    const sealed = b.segments[1];
    for (const i of sealed.records) {
      const v = b.records[i];
      for (let at = v.offset; at < v.next; at += EXHAUSTIVE ? 1 : 13) {
        await restore(dir, b.files);
        await flipAt(b, at);
        const { report, records } = await repairAndRead(b, "skip-corrupt");
        const label = `flip at ${at}`;
        assert.deepEqual(report.actions.map((a) => [a.action, a.offset, a.file, a.bytes]), [
          ["filled", v.offset, pathOf(b, sealed.name), v.next - v.offset],
        ], label);
        assert.deepEqual(records.map((r) => r.offset), b.records.map((r) => r.offset), label);
        for (const r of records) {
          const original = b.records.find((o) => o.offset === r.offset)!;
          if (r.offset !== v.offset) assert.deepEqual(r.payload, original.payload, label);
        }
        // 40 payload bytes: too few for the full note
        const filler = JSON.parse(new TextDecoder().decode(records[i].payload));
        assert.deepEqual(filler, { repair: "skip-corrupt" });
      }
    }
  });
});

Deno.test('repairJournal({ recovery: "point-in-time" }) cuts at a flipped sealed record and drops what follows', async () => {
  await withTempDir(async (dir) => {
    const b = await build(dir);
    const [, s1, s2, s3] = b.segments;
    for (const i of s1.records) {
      const v = b.records[i];
      await restore(dir, b.files);
      await flipAt(b, v.offset + 50);
      const { report, records } = await repairAndRead(b, "point-in-time");
      assert.deepEqual(summary(report.actions), [
        ["dropped", v.offset, "crc mismatch"],
        ["dropped", s3.base, "missing segment"],
        ["dropped", s2.base, "missing segment"],
      ]);
      assert.deepEqual(records.map((r) => r.offset), upTo(b, v.offset));
    }
  });
});

Deno.test("repairJournal() fills a missing sealed segment or cuts before it", async () => {
  await withTempDir(async (dir) => {
    const b = await build(dir);
    const [s0, s1, s2, s3] = b.segments;
    await Deno.remove(pathOf(b, s1.name));
    const skip = await repairAndRead(b, "skip-corrupt");
    assert.deepEqual(summary(skip.report.actions), [["filled", s0.end, "missing segment"]]);
    assert.equal(skip.report.actions[0].file, pathOf(b, s1.name), "a filler segment in its place");
    const kept = except(b, s1.base, s1.end);
    assert.deepEqual(skip.records.map((r) => r.offset).filter((o) => kept.includes(o)), kept);
    const filler = skip.records.find((r) => r.offset === s1.base)!;
    assert.deepEqual(JSON.parse(new TextDecoder().decode(filler.payload)), {
      repair: "skip-corrupt",
      offset: s0.end,
      bytes: s1.end - s1.base,
      reason: "missing segment",
    });

    await restore(dir, b.files);
    await Deno.remove(pathOf(b, s1.name));
    const pit = await repairAndRead(b, "point-in-time");
    assert.deepEqual(summary(pit.report.actions), [
      ["dropped", s0.end, "missing segment"],
      ["dropped", s3.base, "missing segment"],
      ["dropped", s2.base, "missing segment"],
    ]);
    assert.deepEqual(pit.records.map((r) => r.offset), upTo(b, s0.end));
  });
});

Deno.test("repairJournal() sets a misplaced sealed segment aside and fills its place", async () => {
  await withTempDir(async (dir) => {
    const b = await build(dir);
    const [s0, s1] = b.segments;
    const moved = pathOf(b, `${String(s1.base + 1).padStart(20, "0")}.wal`);
    await Deno.rename(pathOf(b, s1.name), moved);
    const { report, records } = await repairAndRead(b, "skip-corrupt");
    assert.deepEqual(summary(report.actions), [
      ["set aside", s1.base + 1, "misplaced segment"],
      ["filled", s0.end, "missing segment"],
    ]);
    assert.deepEqual(
      await Deno.readFile(`${moved}.misplaced`),
      b.files.get(s1.name),
      "its bytes are kept for the operator",
    );
    const kept = except(b, s1.base, s1.end);
    assert.deepEqual(records.map((r) => r.offset).filter((o) => kept.includes(o)), kept);
  });
});

Deno.test("repairJournal() of a sound journal changes nothing", async () => {
  await withTempDir(async (dir) => {
    const b = await build(dir);
    for (const recovery of ["skip-corrupt", "point-in-time"] as const) {
      const report = await repairJournal(dir, { recovery });
      assert.deepEqual(report, { recovery, actions: [], end: b.end });
      assert.deepEqual(await snapshot(dir), b.files);
    }
  });
});

Deno.test("repairJournal() refuses while a writer holds the journal", async () => {
  await withTempDir(async (dir) => {
    const writer = await Journal.open(dir);
    await assert.rejects(repairJournal(dir, { recovery: "skip-corrupt" }), JournalLockedError);
    await writer.close();
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      repairJournal(dir, { recovery: "absolute" as any }),
      (e: Error) => e instanceof RangeError && e.message.includes('"absolute"'),
    );
  });
});

Deno.test("repairJournal() after a cut inside the last acknowledged records ends the log at the last whole record", async () => {
  await withTempDir(async (dir) => {
    const b = await build(dir);
    const active = b.segments[3];
    for (let cut = 0; cut < active.end - active.base; cut += EXHAUSTIVE ? 1 : 9) {
      const at = active.base + cut;
      const whole = boundaryAtOrBelow(b, at);
      for (const recovery of ["skip-corrupt", "point-in-time"] as const) {
        await restore(dir, b.files);
        await Deno.truncate(pathOf(b, active.name), cut);
        const { report, records } = await repairAndRead(b, recovery);
        const label = `${recovery}, cut at ${at}`;
        assert.equal(report.end, whole, label);
        assert.deepEqual(records.map((r) => r.offset), upTo(b, whole), label);
        const expected = recovery === "point-in-time"
          ? [["dropped", whole, "missing bytes"]]
          : whole === at
          ? [["missing", at, "missing bytes"]]
          : [["truncated", whole, "torn " + (at - whole < 40 ? "header" : "payload")], [
            "missing",
            at,
            "missing bytes",
          ]];
        assert.deepEqual(summary(report.actions), expected, label);
      }
    }
  });
});
