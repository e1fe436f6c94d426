import assert from "node:assert/strict";
import { Journal } from "../../src/wal/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import { collectStatus, Ingestor, LAG_COUNT_LIMIT, LagTracker } from "../../src/ingest/mod.ts";
import { serializeVote } from "../../src/records/mod.ts";

async function fixture() {
  const dir = await Deno.makeTempDir({ prefix: "stemedb_lag_tracker_" });
  const journal = await Journal.open(`${dir}/wal`);
  const store = await KvStore.open(`${dir}/kv.sqlite`);
  return {
    dir,
    journal,
    store,
    async [Symbol.asyncDispose]() {
      store.close();
      await journal.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function votes(n: number, from = 0): Uint8Array[] {
  return Array.from(
    { length: n },
    (_, i) =>
      serializeVote({ assertion: "ab".repeat(32), voter: `v${from + i}`, value: 1, timestamp: 1 }),
  );
}

Deno.test("LagTracker counts 150,000 records behind exactly, past LAG_COUNT_LIMIT, and /status-style reports agree", async () => {
  await using f = await fixture();
  const tracker = await LagTracker.start(f.journal, f.store);
  try {
    const total = 150_000;
    for (let i = 0; i < total; i += 5000) await f.journal.appendBatch(votes(5000, i));
    await tracker.settled();
    assert.ok(total > LAG_COUNT_LIMIT);
    assert.equal(tracker.lag.records, total);
    assert.equal(tracker.lag.exact, true);
    assert.equal(tracker.lag.bytes, f.journal.durableOffset - f.journal.firstOffset);
    const report = await collectStatus(f.journal, f.store, { counter: tracker });
    assert.equal(report.ingest.lagRecords, total);
    assert.equal(report.ingest.lagRecordsCapped, false);
    const capped = await collectStatus(f.journal, f.store);
    assert.equal(
      capped.ingest.lagRecordsCapped,
      true,
      "without the tracker the count stops at the limit",
    );
  } finally {
    await tracker.close();
  }
});

Deno.test("LagTracker indexes the records already behind when it starts, and drops them as the cursor passes", async () => {
  await using f = await fixture();
  await f.journal.appendBatch(votes(40));
  const tracker = await LagTracker.start(f.journal, f.store, { pollIntervalMs: 10 });
  try {
    await tracker.settled();
    assert.equal(tracker.lag.records, 40);
    const ingestor = new Ingestor(f.journal, f.store, { batchRecords: 15 });
    await ingestor.runOnce({ maxRecords: 15 });
    await tracker.settled();
    assert.equal(tracker.lag.records, 25, "a commit in the middle of a batch is counted by record");
    await f.journal.appendBatch(votes(10, 40));
    await tracker.settled();
    assert.equal(tracker.lag.records, 35);
    while (!(await ingestor.runOnce()).caughtUp);
    await tracker.settled();
    assert.deepEqual(
      { records: tracker.lag.records, bytes: tracker.lag.bytes, seconds: tracker.lag.seconds },
      { records: 0, bytes: 0, seconds: 0 },
    );
  } finally {
    await tracker.close();
  }
});

Deno.test("LagTracker.count() is exact inside its index and undefined outside it", async () => {
  await using f = await fixture();
  const tracker = await LagTracker.start(f.journal, f.store);
  try {
    const results = await f.journal.appendBatch(votes(10));
    await tracker.settled();
    assert.equal(tracker.count(results[2].offset, results[6].next), 5);
    assert.equal(tracker.count(results[0].offset, f.journal.durableOffset), 10);
    assert.equal(tracker.count(results[0].offset, f.journal.durableOffset + 1), undefined);
  } finally {
    await tracker.close();
  }
});

Deno.test("LagTracker.group() tells the records and bytes of the group commit a record was in", async () => {
  await using f = await fixture();
  const tracker = await LagTracker.start(f.journal, f.store, { lastSyncMs: () => 1.25 });
  try {
    const results = await f.journal.appendBatch(votes(7));
    const group = await tracker.group(results[3].next);
    assert.ok(group !== undefined);
    assert.equal(group.records, 7);
    assert.equal(group.end - group.from, results[6].next - results[0].offset);
    assert.equal(group.syncMs, 1.25);
  } finally {
    await tracker.close();
  }
});

Deno.test("LagTracker measures the age of the oldest record behind", async () => {
  await using f = await fixture();
  const tracker = await LagTracker.start(f.journal, f.store);
  try {
    await f.journal.appendBatch(votes(3));
    await new Promise((resolve) => setTimeout(resolve, 120));
    await f.journal.appendBatch(votes(3, 3));
    await tracker.settled();
    assert.ok(tracker.lag.seconds >= 0.1, `${tracker.lag.seconds} s`);
  } finally {
    await tracker.close();
  }
});

Deno.test("LagTracker counts exactly across appends it was handed and appends it must read from the journal", async () => {
  await using f = await fixture();
  const tracker = await LagTracker.start(f.journal, f.store);
  try {
    tracker.observe(await f.journal.appendBatch(votes(5)));
    await f.journal.appendBatch(votes(3, 5)); // not handed over: read back
    const single = await f.journal.append(votes(1, 8)[0]);
    tracker.observe([single]);
    await Promise.all([f.journal.append(votes(1, 9)[0]), f.journal.append(votes(1, 10)[0])]);
    tracker.observe(await f.journal.appendBatch(votes(4, 11)));
    await tracker.settled();
    assert.equal(tracker.lag.records, 15);
    assert.equal(tracker.count(single.offset, single.next), 1);
  } finally {
    await tracker.close();
  }
});

Deno.test("LagTracker.group() answers every one of many concurrent appends, asked before and after its group is counted, past the recent-group ring", async () => {
  await using f = await fixture();
  const tracker = await LagTracker.start(f.journal, f.store);
  try {
    const asked: Promise<unknown>[] = [];
    const late: { next: number; offset: number }[] = [];
    let i = 0;
    // Two appenders: groups of one or two records, more than the ring keeps (1024).
    await Promise.all(Array.from({ length: 2 }, async () => {
      while (i < 2400) {
        const result = await f.journal.append(votes(1, i++)[0]);
        tracker.observe([result]);
        asked.push(
          tracker.group(result.next).then((group) => {
            assert.ok(group !== undefined, `group of the record ending at ${result.next}`);
            assert.ok(group.from < result.next && result.next <= group.end);
          }),
        );
        if (late.length < 8) late.push(result);
      }
    }));
    await Promise.all(asked);
    await tracker.settled();
    // Asked once long counted: those groups have left the ring.
    for (const result of late) assert.equal(await tracker.group(result.next), undefined);
    const last = await f.journal.append(votes(1, 9999)[0]);
    tracker.observe([last]);
    const group = await tracker.group(last.next);
    await tracker.settled();
    assert.deepEqual(await tracker.group(last.next), group, "asked again once counted");
  } finally {
    await tracker.close();
  }
});
