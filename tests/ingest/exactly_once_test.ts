import assert from "node:assert/strict";
import { KvStore } from "../../src/store/mod.ts";
import { Ingestor } from "../../src/ingest/mod.ts";
import {
  assertAppliedOnce,
  type CommitLog,
  expectedContent,
  loggingKv,
  openEnv,
} from "./_helpers.ts";
import { writeMixedLog } from "./_log.ts";
import { readLines, spawnChild } from "./_process.ts";

/**
 * Every content key that one record writes was written by exactly one
 * successful commit; a key several records write (a subject's entry in the
 * subject list) by at most one commit per record.
 */
function assertEachKeySetOnce(log: CommitLog, want: { order: string[][] }): void {
  const writers = new Map<string, number>();
  for (const keys of want.order) for (const k of keys) writers.set(k, (writers.get(k) ?? 0) + 1);
  const twice = [...log.sets].filter(([key, n]) =>
    !key.startsWith('["_ingest"') && (writers.get(key) === 1 ? n !== 1 : n > writers.get(key)!)
  );
  assert.deepEqual(twice, [], "content keys set by more than one successful commit");
  const shared = [...writers].filter(([, n]) => n > 1).length;
  assert.ok(shared < writers.size / 2, "most keys are written by one record only");
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
  assertEachKeySetOnce(log, await expectedContent(env.journal, env.store));
  for (const [target, want] of written.tallies) {
    const tally = await env.store.tally(target);
    assert.equal(tally.count, want.count);
    assert.ok(Math.abs(tally.sum - want.sum) < 1e-9);
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
  assertEachKeySetOnce(log, await expectedContent(env.journal, env.store));
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
