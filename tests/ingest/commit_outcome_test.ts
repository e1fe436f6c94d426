// Commits whose outcome is unknown, on a local KV: a wrapper fails a commit's
// call before or after it applies, as a remote KV's lost or cut answer does.
import assert from "node:assert/strict";
import { KvStore } from "../../src/store/mod.ts";
import { Ingestor } from "../../src/ingest/mod.ts";
import { assertAppliedOnce, openEnv } from "./_helpers.ts";
import { writeMixedLog } from "./_log.ts";
import { interceptAtomic } from "../support/kv_intercept.ts";

/** `kv` whose every `every`-th commit fails: after applying (`after`) or instead of it. */
function failingKv(kv: Deno.Kv, every: number, after: boolean): Deno.Kv {
  let n = 0;
  return interceptAtomic(kv, {
    start: () => null,
    async commit(_, commit) {
      if (++n % every !== 0) return await commit();
      if (after) await commit();
      throw new Error("KV Connect failed to read response body: injected");
    },
  });
}

for (const after of [true, false]) {
  const when = after ? "after applying" : "before applying";
  Deno.test(`Ingestor counts and applies each record once when a commit's call fails ${when}`, async () => {
    await using env = await openEnv();
    const written = await writeMixedLog(env.journal, 300);
    const kv = await env.openKv();
    const store = await KvStore.open(failingKv(kv, 3, after));
    const report = await new Ingestor(env.journal, store, { batchRecords: 10 }).runOnce();
    assert.equal(report.caughtUp, true);
    assert.equal(report.applied, written.records - written.poison);
    assert.equal(report.deadLettered, written.poison);
    assert.equal(report.conflicts, 0);
    assert.equal(report.commits, Math.ceil(written.records / 10));
    await assertAppliedOnce(env.journal, env.store);
  });
}
