// The ingestor on a remote Deno KV under every fault the KV Connect test
// server injects. Retried faults make Deno's client log "KV Connect failed to
// call ..." lines to stderr: that noise is the client's, not a test failure.
import assert from "node:assert/strict";
import { KvTimeoutError } from "../../src/store/mod.ts";
import { Ingestor } from "../../src/ingest/mod.ts";
import { waitFor } from "../support/kv_connect/mod.ts";
import type { KvConnectFaults } from "../support/kv_connect/mod.ts";
import { assertAppliedOnce } from "./_helpers.ts";
import { writeMixedLog } from "./_log.ts";
import { openRemoteEnv } from "./_remote.ts";

const ATOMIC = { on: ["atomic_write" as const] };

/**
 * STEMEDB_FAULTS_EXHAUSTIVE=1 runs each fault plan on 10× the records under
 * five seeds (minutes); by default one seed on a few hundred records.
 */
const EXHAUSTIVE = Deno.env.get("STEMEDB_FAULTS_EXHAUSTIVE") === "1";
const RECORDS = EXHAUSTIVE ? 4000 : 400;
const SEEDS = EXHAUSTIVE ? [12, 13, 14, 15, 16] : [12];

/** Faults at a high rate, one kind at a time, then all together. */
const HIGH_RATE: [string, KvConnectFaults][] = [
  ["answers cut after applying", { cutAfterApply: { rate: 0.3, how: "reset", ...ATOMIC } }],
  ["answers ended short after applying", { cutAfterApply: { rate: 0.3, how: "end" } }],
  ["answers lost after applying", { lostAfterApply: { rate: 0.3 } }],
  ["5xx before applying", { error5xx: { rate: 0.3 } }],
  ["connections dropped before applying", { closeBeforeApply: { rate: 0.3, how: "socket" } }],
  ["streams reset before applying", { closeBeforeApply: { rate: 0.3, how: "stream" } }],
  ["latency added to calls", { latency: { rate: 0.3, ms: 20 } }],
  ["every fault at once", {
    latency: { rate: 0.15, ms: 10 },
    cutAfterApply: { rate: 0.15, ...ATOMIC },
    lostAfterApply: { rate: 0.15 },
    error5xx: { rate: 0.15 },
    closeBeforeApply: { rate: 0.15 },
  }],
];

for (const [name, faults] of HIGH_RATE) {
  for (const seed of SEEDS) {
    Deno.test(`Ingestor applies and counts each record once through a remote KV with ${name}${EXHAUSTIVE ? ` (seed ${seed})` : ""}`, async () => {
      await using env = await openRemoteEnv();
      const written = await writeMixedLog(env.journal, RECORDS);
      env.server.setFaults({ ...faults, seed });
      const report = await new Ingestor(env.journal, env.store, { batchRecords: 20 }).runOnce();
      env.server.setFaults({});
      assert.equal(report.caughtUp, true);
      assert.equal(report.applied, written.records - written.poison, "applied counts what landed");
      assert.equal(report.deadLettered, written.poison);
      assert.equal(report.conflicts, 0, "no other ingestor: a lost answer is not a conflict");
      assert.equal(report.commits, env.server.stats.appliedWrites, "each commit landed once");
      const injected = Object.values(env.server.stats.faults).reduce((a, b) => a + b, 0);
      assert.ok(injected > 0, "faults were injected");
      await assertAppliedOnce(env.journal, env.store);
    });
  }
}

Deno.test("A commit stalled past its deadline and released after the ingestor moved on fails its check", async () => {
  // Long enough that only the stalled commit meets it on a loaded machine.
  await using env = await openRemoteEnv({ timeoutMs: 1500 });
  const written = await writeMixedLog(env.journal, 100);
  env.server.setFaults({ stall: { times: 1, ...ATOMIC } });
  const report = await new Ingestor(env.journal, env.store, { batchRecords: 10 }).runOnce();
  assert.equal(report.caughtUp, true);
  assert.equal(report.applied + report.deadLettered, written.records);
  assert.equal(env.server.stats.faults.stall, 1);
  const before = env.server.stats;
  assert.equal(before.appliedWrites, report.commits, "the stalled commit has not applied");
  assert.equal(env.server.releaseStalls(), 1);
  await waitFor("the released commit to reach the KV", () => env.server.stats.checkFailures > 0);
  assert.equal(env.server.stats.appliedWrites, report.commits, "it applied nothing");
  await assertAppliedOnce(env.journal, env.store);
});

Deno.test("Ingestor applies and counts each record once, pass after pass, through a remote KV that stalls calls at a high rate", async () => {
  // Each stall costs a deadline, so they are few; the deadline is long enough that
  // only a stalled call meets it on a loaded machine.
  await using env = await openRemoteEnv({ timeoutMs: 1000 });
  const written = await writeMixedLog(env.journal, 200);
  env.server.setFaults({ stall: { rate: 0.25, times: 4 }, seed: 12 });
  const ingestor = new Ingestor(env.journal, env.store, { batchRecords: 20 });
  const totals = { applied: 0, deadLettered: 0, commits: 0, conflicts: 0, failed: 0 };
  for (let pass = 0; pass < 20; pass++) {
    // What a cron tick or `deno task ingest` does: a pass past its deadline is tried again.
    const report = await ingestor.runOnce().catch((e) => {
      assert.ok(e instanceof KvTimeoutError, String(e));
      totals.failed++;
      return null;
    });
    if (report === null) continue;
    totals.applied += report.applied;
    totals.deadLettered += report.deadLettered;
    totals.commits += report.commits;
    totals.conflicts += report.conflicts;
    if (report.caughtUp) break;
  }
  const stats = env.server.stats;
  assert.equal(stats.faults.stall, 4);
  assert.equal(totals.applied, written.records - written.poison, "applied counts what landed");
  assert.equal(totals.deadLettered, written.poison);
  assert.equal(totals.conflicts, 0);
  assert.equal(stats.appliedWrites, totals.commits, "no stalled commit has applied");
  // The held calls go on now: each commit among them fails its check, applying nothing.
  env.server.releaseStalls();
  await waitFor("the released commits to reach the KV", () => {
    const now = env.server.stats;
    return now.appliedWrites + now.checkFailures === now.requests.atomic_write;
  });
  assert.equal(env.server.stats.appliedWrites, totals.commits, "a released commit applied");
  await assertAppliedOnce(env.journal, env.store);
});

Deno.test("Ingestor.stop() returns within the deadline while a commit stalls", async () => {
  const timeoutMs = 1000;
  await using env = await openRemoteEnv({ timeoutMs });
  const errors: unknown[] = [];
  const ingestor = new Ingestor(env.journal, env.store, {
    pollIntervalMs: 20,
    onError: (e) => errors.push(e),
  });
  env.server.setFaults({ stall: ATOMIC });
  ingestor.start();
  await writeMixedLog(env.journal, 20);
  await waitFor("a commit to stall", () => env.server.stats.faults.stall > 0);
  const started = performance.now();
  await ingestor.stop();
  assert.ok(performance.now() - started < 2 * timeoutMs, "stop() returned within the deadline");
  assert.equal(ingestor.running, false);
  assert.deepEqual(errors, [], "a pass stopped at its deadline is not an error to report");
  assert.equal(env.server.stats.appliedWrites, 0);
});

Deno.test("Ingestor.lag() rejects with KvTimeoutError within the deadline while reads stall", async () => {
  const timeoutMs = 1000;
  await using env = await openRemoteEnv({ timeoutMs });
  await writeMixedLog(env.journal, 20);
  const ingestor = new Ingestor(env.journal, env.store);
  env.server.setFaults({ stall: { on: ["snapshot_read"] } });
  const started = performance.now();
  const error = await ingestor.lag().then(() => assert.fail("answered"), (e) => e);
  assert.ok(performance.now() - started < 2 * timeoutMs, "lag() returned within the deadline");
  assert.ok(error instanceof KvTimeoutError, String(error));
  assert.equal(error.operation, "cursors");
  assert.equal(error.target, env.server.url);
});

Deno.test("Ingestor.lag() and runOnce() fail within the deadline when every read's answer is cut", async () => {
  const timeoutMs = 1000;
  await using env = await openRemoteEnv({ timeoutMs });
  await writeMixedLog(env.journal, 20);
  const ingestor = new Ingestor(env.journal, env.store);
  // Each read fails at once, so it is retried as transient: for the deadline, no longer.
  env.server.setFaults({ cutAfterApply: { how: "end", on: ["snapshot_read"] } });
  for (const call of [() => ingestor.lag(), () => ingestor.runOnce()]) {
    const started = performance.now();
    await assert.rejects(call(), /KV Connect failed/);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 3 * timeoutMs, `failed after ${Math.round(elapsed)} ms`);
  }
  assert.ok(env.server.stats.faults.cutAfterApply > 2, "the reads were retried");
});

Deno.test("Ingestor.runOnce() rejects with KvTimeoutError when the remote stops answering; lag() and stop() return within the deadline", async () => {
  const timeoutMs = 1000;
  await using env = await openRemoteEnv({ timeoutMs });
  await writeMixedLog(env.journal, 50);
  env.server.setFaults({ down: "503" });
  const ingestor = new Ingestor(env.journal, env.store, { batchRecords: 10 });
  let started = performance.now();
  const error = await ingestor.runOnce().then(() => assert.fail("answered"), (e) => e);
  assert.ok(error instanceof KvTimeoutError, String(error));
  assert.equal(error.target, env.server.url);
  assert.ok(performance.now() - started < 4 * timeoutMs, "runOnce rejected about the deadline");
  started = performance.now();
  await assert.rejects(ingestor.lag(), KvTimeoutError);
  assert.ok(performance.now() - started < 2 * timeoutMs, "lag() returned within the deadline");
  const errors: unknown[] = [];
  const looping = new Ingestor(env.journal, env.store, { onError: (e) => errors.push(e) });
  looping.start();
  await new Promise((resolve) => setTimeout(resolve, 100));
  started = performance.now();
  await looping.stop();
  assert.ok(performance.now() - started < 2 * timeoutMs, "stop() returned within the deadline");
  assert.ok(errors.every((e) => e instanceof KvTimeoutError));
});

Deno.test("Ingestor's background loop rides out a remote down for seconds mid-run, backing off, and catches up", async () => {
  await using env = await openRemoteEnv({ timeoutMs: 1000 });
  const errors: unknown[] = [];
  const ingestor = new Ingestor(env.journal, env.store, {
    batchRecords: 25,
    pollIntervalMs: 20,
    onError: (e) => errors.push(e),
  });
  ingestor.start();
  try {
    const first = await writeMixedLog(env.journal, 200);
    await waitFor("the first records", () => env.server.stats.appliedWrites > 0);
    env.server.setFaults({ down: "503" });
    const second = await writeMixedLog(env.journal, 200);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const requestsWhileDown = env.server.stats.requests;
    env.server.setFaults({});
    const records = first.records + second.records;
    let lag = await ingestor.lag();
    for (let i = 0; lag.bytes > 0 && i < 300; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      lag = await ingestor.lag();
    }
    assert.equal(lag.bytes, 0, `caught up on ${records} records`);
    assert.ok(errors.length >= 1, "the loop met the outage");
    assert.ok(errors.every((e) => e instanceof KvTimeoutError), String(errors[0]));
    // Backing off: far fewer passes than one per poll interval (3 s / 20 ms).
    assert.ok(errors.length < 20, `${errors.length} failed passes while down`);
    assert.ok(requestsWhileDown.atomic_write > 0);
  } finally {
    await ingestor.stop();
  }
  await assertAppliedOnce(env.journal, env.store);
});
