// Commits whose outcome is unknown, on a local KV: a wrapper fails a commit's
// call before or after it applies, as a remote KV's lost or cut answer does.
import assert from "node:assert/strict";
import { KvStore } from "../../src/store/mod.ts";
import { Ingestor } from "../../src/ingest/mod.ts";
import { assertAppliedOnce, openEnv } from "./_helpers.ts";
import { writeMixedLog } from "./_log.ts";

/** `kv` whose every `every`-th commit fails: after applying (`after`) or instead of it. */
function failingKv(kv: Deno.Kv, every: number, after: boolean): Deno.Kv {
  let n = 0;
  const atomic = () => {
    const op = kv.atomic();
    const proxy: Deno.AtomicOperation = new Proxy(op, {
      get(o, p) {
        if (p === "commit") {
          return async () => {
            if (++n % every !== 0) return await o.commit();
            if (after) await o.commit();
            throw new Error("KV Connect failed to read response body: injected");
          };
        }
        const v = Reflect.get(o, p, o);
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          const r = v.apply(o, args);
          return r === o ? proxy : r;
        };
      },
    });
    return proxy;
  };
  return new Proxy(kv, {
    get(target, prop) {
      if (prop === "atomic") return atomic;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
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
