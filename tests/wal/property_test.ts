import assert from "node:assert/strict";
import fc from "fast-check";
import { Journal, type JournalOptions, OffsetError } from "../../src/wal/mod.ts";
import { HEADER_SIZE } from "../../src/wal/format.ts";
import { bytesEqual, Prng } from "./_child_util.ts";

/** A payload size: exact, or relative to the segment size (near a rotation). */
type Size = { bytes: number } | { nearSegment: number };

type Op =
  | { kind: "append"; sizes: Size[] } // concurrent appends, awaited together
  | { kind: "batch"; sizes: Size[] }
  | { kind: "bigBatch"; count: number } // over 64 KiB: large groups are sealed on a worker
  | { kind: "reopen" }
  | { kind: "remove"; at: number } // fraction of the log: removeSegmentsBefore(at * end)
  | { kind: "read"; at: number }
  | { kind: "reader" }; // a read-only journal in the same process sees the same log

/** One acknowledged record of the model. */
interface Acked {
  offset: number;
  next: number;
  payload: Uint8Array;
}

const sizeArb: fc.Arbitrary<Size> = fc.oneof(
  fc.constant({ bytes: 1 }),
  fc.integer({ min: 1, max: 200 }).map((bytes) => ({ bytes })),
  fc.integer({ min: -3, max: 3 }).map((nearSegment) => ({ nearSegment })),
);
/** Ops over small records: rotations every few records when segments are tiny. */
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      sizes: fc.array(sizeArb, { minLength: 1, maxLength: 5 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("batch" as const),
      sizes: fc.array(sizeArb, { minLength: 1, maxLength: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "reopen" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("remove" as const),
      at: fc.integer({ min: 0, max: 1050 }).map((permille) => permille / 1000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("read" as const),
      at: fc.integer({ min: 0, max: 999 }).map((permille) => permille / 1000),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "reader" as const }) },
);

/** The same ops plus batches over 64 KiB, whose groups are sealed on a worker. */
const bigOpArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: opArb },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("bigBatch" as const),
      count: fc.integer({ min: 150, max: 600 }),
    }),
  },
);

/** Checks that `journal` holds exactly the model's records from its first offset on. */
async function assertMatchesModel(journal: Journal, model: Acked[], end: number): Promise<void> {
  assert.equal(
    journal.durableOffset,
    end,
    "durableOffset is not the end of the last acknowledged record",
  );
  const first = journal.firstOffset;
  const expected = model.filter((r) => r.offset >= first);
  const actual = await Array.fromAsync(journal.readFrom(first));
  assert.equal(actual.length, expected.length, `readFrom(${first}) returned a different count`);
  for (let i = 0; i < expected.length; i++) {
    assert.equal(actual[i].offset, expected[i].offset);
    assert.equal(actual[i].next, expected[i].next);
    assert.ok(
      bytesEqual(actual[i].payload, expected[i].payload),
      `Payload at ${expected[i].offset}`,
    );
  }
  const segments = await journal.segments();
  if (segments.length > 0) {
    assert.equal(segments[0].base, first, "First segment does not start at firstOffset");
    assert.equal(segments.at(-1)!.end, end, "Last segment does not end at the durable end");
  }
  for (let i = 1; i < segments.length; i++) {
    assert.equal(segments[i].base, segments[i - 1].end, "Segments are not contiguous");
    assert.ok(segments[i - 1].sealed, "A segment before the last is not sealed");
  }
  await assert.rejects(journal.read(end), OffsetError, "read() at the end must throw OffsetError");
  const removed = model.findLast((r) => r.offset < first);
  if (removed) {
    await assert.rejects(journal.read(removed.offset), OffsetError, "read() of a removed record");
  }
}

/** Runs one generated op list against a fresh journal and the model. */
async function runOps(
  ops: Op[],
  segmentBytes: number,
  groupCommitBytes: number | undefined,
  seed: number,
): Promise<void> {
  const options: JournalOptions = { segmentBytes, groupCommitBytes };
  const prng = new Prng(seed);
  const payloadOf = (size: Size) => {
    const bytes = "bytes" in size
      ? size.bytes
      : Math.max(1, segmentBytes - HEADER_SIZE + size.nearSegment);
    return Uint8Array.from({ length: bytes }, () => prng.nextU32() & 0xff);
  };
  const dir = await Deno.makeTempDir({ prefix: "wal_prop_" });
  const model: Acked[] = [];
  let end = 0;
  const acknowledge = (payloads: Uint8Array[], results: { offset: number; next: number }[]) => {
    for (let i = 0; i < payloads.length; i++) {
      assert.equal(results[i].offset, end, "Offsets do not follow call order");
      assert.equal(results[i].next, end + HEADER_SIZE + payloads[i].length);
      model.push({ offset: end, next: results[i].next, payload: payloads[i] });
      end = results[i].next;
    }
  };
  let journal = await Journal.open(dir, options);
  try {
    for (const op of ops) {
      if (op.kind === "append") {
        const payloads = op.sizes.map(payloadOf);
        acknowledge(payloads, await Promise.all(payloads.map((p) => journal.append(p))));
      } else if (op.kind === "batch") {
        const payloads = op.sizes.map(payloadOf);
        acknowledge(payloads, await journal.appendBatch(payloads));
      } else if (op.kind === "bigBatch") {
        const payloads = Array.from(
          { length: op.count },
          () => payloadOf({ bytes: prng.int(150, 700) }),
        );
        acknowledge(payloads, await journal.appendBatch(payloads));
      } else if (op.kind === "reopen") {
        const first = journal.firstOffset;
        await journal.close();
        journal = await Journal.open(dir, options);
        assert.equal(journal.firstOffset, first, "Reopen changed firstOffset");
        assert.deepEqual(journal.recovery?.events ?? [], [], "A clean close left damage");
        await assertMatchesModel(journal, model, end);
      } else if (op.kind === "remove") {
        const before = journal.firstOffset;
        const segmentsBefore = (await journal.segments()).length;
        const target = Math.floor(op.at * end);
        const count = await journal.removeSegmentsBefore(target);
        const after = journal.firstOffset;
        assert.equal((await journal.segments()).length, segmentsBefore - count);
        assert.ok(after >= before, "firstOffset went backwards");
        if (count > 0) {
          assert.ok(after <= target, `Removed data at or past ${target}: first ${after}`);
        }
        assert.ok(
          after === end || model.some((r) => r.offset === after),
          "firstOffset is not a record start",
        );
      } else if (op.kind === "read") {
        const live = model.filter((r) => r.offset >= journal.firstOffset);
        if (live.length === 0) continue;
        const want = live[Math.min(live.length - 1, Math.floor(op.at * live.length))];
        const got = await journal.read(want.offset);
        assert.equal(got.next, want.next);
        assert.ok(bytesEqual(got.payload, want.payload), `read(${want.offset}) payload`);
      } else {
        const reader = await Journal.open(dir, { readOnly: true });
        try {
          assert.equal(reader.firstOffset, journal.firstOffset);
          await assertMatchesModel(reader, model, end);
        } finally {
          await reader.close();
        }
      }
    }
    await assertMatchesModel(journal, model, end);
  } finally {
    await journal.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Journal reads back exactly what was acknowledged across appends, batches, rotations, reopens and cleanup", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(opArb, { minLength: 1, maxLength: 40, size: "medium" }),
      fc.integer({ min: 64, max: 2048 }),
      fc.constantFrom(undefined, 64, 4096),
      fc.integer({ min: 0, max: 0xffff_ffff }),
      runOps,
    ),
    { numRuns: 60 },
  );
});

Deno.test("Journal reads back exactly what was acknowledged when large groups are sealed in parallel", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(bigOpArb, { minLength: 1, maxLength: 12 }),
      // Segments large enough that a big batch is not cut into hundreds of files.
      fc.integer({ min: 64 * 1024, max: 512 * 1024 }),
      fc.constantFrom(undefined, 4096, 256 * 1024),
      fc.integer({ min: 0, max: 0xffff_ffff }),
      runOps,
    ),
    { numRuns: 15 },
  );
});
