import assert from "node:assert/strict";
import { Ingestor } from "../../src/ingest/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import { interceptAtomic } from "../support/kv_intercept.ts";
import { assertAppliedOnce, assertionPayload, openEnv, withPlans } from "./_helpers.ts";

/** Resolves once `check` holds, polling every millisecond (fails after 5 s). */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

Deno.test("Ingestor plans the records made durable while a commit is in flight before it settles, and commits them together next", async () => {
  await using env = await openEnv();
  const { journal } = env;
  const kv = await env.openKv();
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  let commits = 0;
  // The first commit is held until released: the records appended meanwhile wait behind it.
  const view = interceptAtomic<null>(kv, {
    start: () => null,
    async commit(_, commit) {
      if (commits++ === 0) await held;
      return commit();
    },
  });
  const base = await KvStore.open(view);
  let planned = 0;
  const store = withPlans(base, (payload, digest) => {
    planned++;
    return base.recordMutations(payload, digest);
  });
  const ingestor = new Ingestor(journal, store, { pollIntervalMs: 10_000 });
  try {
    await journal.append(assertionPayload(0));
    ingestor.start();
    await until(() => commits === 1, "the first commit is sent");
    // One at a time, so the pump catches up with the durable end between them.
    let last = 0;
    for (let i = 1; i <= 5; i++) {
      last = (await journal.append(assertionPayload(i))).offset;
      await until(() => planned === i + 1, `record ${i} is planned`);
    }
    assert.equal(commits, 1, "nothing else was sent while the first commit was in flight");
    release();
    await ingestor.waitFor(last, { timeoutMs: 5_000 });
    assert.equal(commits, 2, "the five records went in one commit, right after the first");
    await assertAppliedOnce(journal, base);
  } finally {
    release();
    await ingestor.stop();
    base.close();
  }
});
