import assert from "node:assert/strict";
import { KvStore } from "../../src/store/mod.ts";
import { Ingestor } from "../../src/ingest/mod.ts";
import type { Journal } from "../../src/wal/mod.ts";
import {
  assertAppliedOnce,
  type CommitLog,
  expectedContent,
  loggingKv,
  openEnv,
} from "./_helpers.ts";
import { writeMixedLog } from "./_log.ts";
import { assertTallyClose } from "../support/consensus_reference.ts";
import { readLines, spawnChild } from "./_process.ts";

/**
 * Each record key is set by at most as many successful commits as the log
 * holds records that write it, and by at least one: exactly once for a key
 * one record writes; a key several records write (a subject's entry in the
 * subject list, a record appended twice) at most once per record. Winner and
 * tally keys are left out: a winner is set again each time its voter's vote
 * is beaten, and tallies are sums.
 */
async function assertEachKeySetOnce(log: CommitLog, journal: Journal, store: KvStore) {
  const { order } = await expectedContent(journal, store);
  const want = new Map<string, number>();
  for (const keys of order) for (const k of keys) want.set(k, (want.get(k) ?? 0) + 1);
  const state = ['["_ingest"', '["_meta"', '["W"', '["T"'];
  const wrong = [...log.sets].filter(([key, n]) => {
    if (state.some((p) => key.startsWith(p))) return false;
    const w = want.get(key) ?? 0;
    return w === 1 ? n !== 1 : n < 1 || n > w;
  });
  assert.deepEqual(wrong, [], "record keys set by more commits than records write them");
}

Deno.test("Ingestor applies each record once when two ingestors in one process race", async () => {
  await using env = await openEnv();
  const written = await writeMixedLog(env.journal, 2000);
  const log: CommitLog = { commits: 0, sets: new Map() };
  const kvs = [await env.openKv(), await env.openKv()];
  const stores = await Promise.all(kvs.map((kv) => KvStore.open(loggingKv(kv, log))));
  const ingestors = stores.map((s) => new Ingestor(env.journal, s, { batchRecords: 25 }));
  const reports = await Promise.all(ingestors.map((i) => i.runOnce()));
  const applied = reports[0].applied + reports[1].applied;
  const dead = reports[0].deadLettered + reports[1].deadLettered;
  assert.equal(applied + dead, written.records);
  assert.equal(dead, written.poison);
  assert.ok(reports[0].conflicts + reports[1].conflicts >= 1, "the race produced conflicts");
  assert.equal(log.commits, reports[0].commits + reports[1].commits);
  await assertEachKeySetOnce(log, env.journal, env.store);
  for (const [target, want] of written.tallies) {
    assertTallyClose(await env.store.tally(target), want, `the tally of ${target}`);
  }
  await assertAppliedOnce(env.journal, env.store);
});

Deno.test("Ingestor applies nothing twice and counts each commit once when the KV replays it behind its back", async () => {
  await using env = await openEnv();
  const written = await writeMixedLog(env.journal, 600);
  const log: CommitLog = { commits: 0, sets: new Map() };
  const kv = await env.openKv();
  const store = await KvStore.open(loggingKv(kv, log, true));
  const report = await new Ingestor(env.journal, store, { batchRecords: 40 }).runOnce();
  // Each commit is answered by its replay, which fails the versionstamp check:
  // the ingestor re-reads the cursor, finds its own commit there and counts it.
  assert.equal(report.commits, Math.ceil(written.records / 40));
  assert.equal(report.conflicts, 0);
  assert.equal(report.applied + report.deadLettered, written.records);
  assert.equal(log.commits, report.commits, "only the first send of each commit applied");
  assert.equal(report.to, env.journal.durableOffset);
  assert.equal(report.caughtUp, true);
  await assertEachKeySetOnce(log, env.journal, env.store);
  await assertAppliedOnce(env.journal, env.store);
});

Deno.test("Ingestor applies each record once when two ingestor processes share a journal", async () => {
  await using env = await openEnv();
  const written = await writeMixedLog(env.journal, 3000);
  const children = [0, 1].map(() =>
    spawnChild("_child_ingestor.ts", [env.journalDir, env.kvPath, "20", "1000000"])
  );
  const totals = await Promise.all(children.map(async (child) => {
    let done: Record<string, number> | null = null;
    for await (const line of readLines(child.stdout)) {
      if (line.startsWith("done ")) done = JSON.parse(line.slice(5));
    }
    const status = await child.status;
    assert.equal(status.code, 0);
    return done!;
  }));
  assert.equal(totals[0].applied + totals[1].applied, written.records - written.poison);
  assert.equal(totals[0].deadLettered + totals[1].deadLettered, written.poison);
  console.log(`conflicts: ${totals[0].conflicts} + ${totals[1].conflicts}`);
  await assertAppliedOnce(env.journal, env.store);
});
