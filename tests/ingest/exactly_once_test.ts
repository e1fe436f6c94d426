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

/** Every content key was written by exactly one successful commit. */
/**
 * Each content key is set by as many successful commits as the log holds
 * records that write it: once, unless the same record was appended twice.
 */
async function assertEachKeySetOnce(log: CommitLog, journal: Journal, store: KvStore) {
  const { order } = await expectedContent(journal, store);
  const want = new Map<string, number>();
  for (const keys of order) for (const k of keys) want.set(k, (want.get(k) ?? 0) + 1);
  // Content keys only: a winner key (W) is set again each time its voter's vote is beaten.
  const content = (key: string) => ['["H"', '["S"', '["V"', '["E"'].some((p) => key.startsWith(p));
  const wrong = [...log.sets].filter(([key, n]) => content(key) && n !== want.get(key));
  assert.deepEqual(wrong, [], "content keys set by more commits than records write them");
}

Deno.test("Ingestor applies each record once when two ingestors in one process race", async () => {
  await using env = await openEnv();
  const written = await writeMixedLog(env.journal, 2000);
  const log: CommitLog = { commits: 0, sets: new Map() };
  const kvs = [await Deno.openKv(env.kvPath), await Deno.openKv(env.kvPath)];
  const stores = await Promise.all(kvs.map((kv) => KvStore.open(loggingKv(kv, log))));
  try {
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
  } finally {
    for (const kv of kvs) kv.close();
  }
});

Deno.test("Ingestor applies nothing twice when the KV replays a commit behind its back", async () => {
  await using env = await openEnv();
  const written = await writeMixedLog(env.journal, 600);
  const log: CommitLog = { commits: 0, sets: new Map() };
  const kv = await Deno.openKv(env.kvPath);
  const store = await KvStore.open(loggingKv(kv, log, true));
  try {
    const report = await new Ingestor(env.journal, store, { batchRecords: 40 }).runOnce();
    // Each commit is answered by its replay, which fails the versionstamp check:
    // the ingestor sees a conflict, re-reads the cursor (its own) and carries on.
    assert.equal(report.commits, 0);
    assert.equal(report.conflicts, Math.ceil(written.records / 40));
    assert.equal(log.commits, report.conflicts, "only the first send of each commit applied");
    assert.equal(report.to, env.journal.durableOffset);
    assert.equal(report.caughtUp, true);
    await assertEachKeySetOnce(log, env.journal, env.store);
    await assertAppliedOnce(env.journal, env.store);
  } finally {
    kv.close();
  }
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
