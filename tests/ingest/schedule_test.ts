import assert from "node:assert/strict";
import { scheduleIngest } from "../../src/ingest/mod.ts";
import { assertAppliedOnce, assertionPayload, openEnv } from "./_helpers.ts";

Deno.test("scheduleIngest() ticks run time-boxed passes and overlapping ticks join", async () => {
  await using env = await openEnv();
  await env.journal.appendBatch(Array.from({ length: 300 }, (_, i) => assertionPayload(i)));
  const reports: number[] = [];
  const schedule = scheduleIngest(env.journal, env.store, "*/5 * * * *", {
    name: "ingest-test-tick",
    maxRecords: 100,
    batchRecords: 25,
    onReport: (r) => reports.push(r.applied),
  });
  try {
    const [a, b] = await Promise.all([schedule.tick(), schedule.tick()]);
    assert.deepEqual([a.applied, a.joined], [100, false]);
    assert.deepEqual([b.applied, b.joined], [0, true]);
    await schedule.tick();
    const last = await schedule.tick();
    assert.equal(last.caughtUp, true);
    assert.deepEqual(reports, [100, 0, 100, 100]);
    await assertAppliedOnce(env.journal, env.store);
  } finally {
    await schedule.close();
  }
});

Deno.test("scheduleIngest() stops when options.signal aborts", async () => {
  await using env = await openEnv();
  const controller = new AbortController();
  const schedule = scheduleIngest(env.journal, env.store, "* * * * *", {
    name: "ingest-test-signal",
    signal: controller.signal,
  });
  controller.abort();
  await schedule.done;
  await schedule.close(); // idempotent
});
