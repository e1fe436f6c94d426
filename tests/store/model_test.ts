import assert from "node:assert/strict";
import fc from "fast-check";
import { KvStore, type Tally } from "../../src/store/mod.ts";
import { assertionPayload, type Digested, ingest, votePayload, withKv } from "./_helpers.ts";

/** The tally of each voter's latest vote (ties to the greater hash), computed without the store. */
function modelTally(votes: { voter: string; timestamp: number; hash: string; value: number }[]) {
  const latest = new Map<string, (typeof votes)[number]>();
  for (const v of votes) {
    const held = latest.get(v.voter);
    const later = held === undefined || v.timestamp > held.timestamp ||
      (v.timestamp === held.timestamp && v.hash > held.hash);
    if (later) latest.set(v.voter, v);
  }
  const out: Tally = { count: 0, voters: 0, sum: 0, mean: 0, up: 0, down: 0, neutral: 0 };
  for (const { value } of latest.values()) {
    out.count++;
    out.voters++;
    out.sum += value;
    if (value > 0) out.up++;
    else if (value < 0) out.down++;
    else out.neutral++;
  }
  out.mean = out.count === 0 ? 0 : out.sum / out.count;
  return out;
}

const voteSpec = fc.record({
  voter: fc.constantFrom("ann", "bob", "cy", "dee"),
  value: fc.constantFrom(-1, -0.5, 0, 0.25, 1),
  timestamp: fc.integer({ min: 0, max: 3 }),
});

Deno.test("the store's tallies and listings match a model under repeated, re-batched appends", async () => {
  await withKv(async (kv) => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(voteSpec, { minLength: 0, maxLength: 30 }),
        fc.array(fc.nat(29), { maxLength: 10 }),
        fc.integer({ min: 1, max: 8 }),
        async (specs, repeats, batch) => {
          // A fresh prefix per run keeps runs apart in one KV.
          const store = await KvStore.open(kv, { prefix: ["run", run++] });
          try {
            const target = await assertionPayload();
            const votes = await Promise.all(specs.map((s) => votePayload(target.hash, s)));
            const log: Digested[] = [target, ...votes];
            for (const i of repeats) if (votes.length > 0) log.push(votes[i % votes.length]);
            for (let i = 0; i < log.length; i += batch) {
              await ingest(store, log.slice(i, i + batch));
            }
            const distinct = new Map(votes.map((v, i) => [v.hash, specs[i].value]));
            const model = modelTally(votes.map((v, i) => ({ ...specs[i], hash: v.hash })));
            assert.deepEqual(await store.tally(target.hash), model);
            const listed = [];
            let cursor: string | undefined;
            do {
              const page = await store.listVotes(target.hash, { limit: 7, cursor });
              listed.push(...page.items.map((v) => v.hash));
              cursor = page.cursor ?? undefined;
            } while (cursor !== undefined);
            assert.deepEqual(listed, [...distinct.keys()].sort());
            assert.equal((await store.listSubject("earth")).items.length, 1);
            assert.equal((await store.readCursor("j".repeat(32))).offset, log.length);
          } finally {
            store.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
