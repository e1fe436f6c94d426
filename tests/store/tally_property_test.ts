import assert from "node:assert/strict";
import fc from "fast-check";
import { KvStore } from "../../src/store/mod.ts";
import {
  assertTallyClose,
  referenceTallies,
  type RefVote,
} from "../support/consensus_reference.ts";
import { assertionPayload, type Digested, ingest, votePayload, withKv } from "./_helpers.ts";

const voteSpec = fc.record({
  target: fc.nat(2),
  voter: fc.constantFrom("ann", "bob", "cy", "dee"),
  value: fc.oneof(
    fc.constantFrom(-1, -0.5, 0, 0.25, 1),
    fc.double({ min: -1, max: 1, noNaN: true }),
  ),
  // A narrow range, negatives included, so voters' votes often tie on timestamp.
  timestamp: fc.integer({ min: -3, max: 3 }),
  // Which journals carry a copy of this vote (indexes modulo the journal count).
  copies: fc.array(fc.nat(7), { minLength: 1, maxLength: 3 }),
});

const scenario = fc.record({
  votes: fc.array(voteSpec, { minLength: 1, maxLength: 24 }),
  journals: fc.integer({ min: 1, max: 4 }),
  batch: fc.integer({ min: 1, max: 6 }),
  seed: fc.integer(),
  assertionAt: fc.option(fc.nat(30)),
});

/** A seeded Fisher–Yates shuffle. */
function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function journalId(i: number): string {
  return i.toString(16).padStart(32, "0");
}

/** The `i`th assertion the votes are on. */
function target(i: number): Promise<Digested> {
  return assertionPayload({ object: `target-${i}` });
}

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** A scenario's votes, its journals' logs (shuffled, the assertions among them) and its reference. */
async function prepare(sc: Scenario, extra: RefVote[] = []) {
  const targets = await Promise.all([0, 1, 2].map(target));
  const votes = await Promise.all(
    sc.votes.map(({ voter, value, timestamp, target }) =>
      votePayload(targets[target].hash, { voter, value, timestamp })
    ),
  );
  // Each journal gets its copies, in its own order; the assertions may come at any point.
  const logs: Digested[][] = Array.from({ length: sc.journals }, () => []);
  sc.votes.forEach((v, i) => {
    for (const c of v.copies) logs[c % sc.journals].push(votes[i]);
  });
  const shuffled = logs.map((log, j) => shuffle(log, sc.seed + j));
  if (sc.assertionAt !== null) {
    const first = shuffled[0];
    first.splice(sc.assertionAt % (first.length + 1), 0, ...targets);
  }
  const reference = referenceTallies(
    sc.votes.map((v, i): RefVote => ({
      assertion: targets[v.target].hash,
      voter: v.voter,
      value: v.value,
      timestamp: v.timestamp,
      hash: votes[i].hash,
    })).concat(extra),
  );
  const want = (hash: string) =>
    reference.get(hash) ?? { count: 0, voters: 0, sum: 0, mean: 0, up: 0, down: 0, neutral: 0 };
  return { targets, votes, logs: shuffled, want };
}

Deno.test("tally() equals an independent reference for any permutation and duplication of votes across journals", async () => {
  await withKv(async (kv) => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        const { targets, votes, logs, want } = await prepare(sc);
        const store = await KvStore.open(kv, { prefix: ["run", run++] });
        // One journal, every distinct vote once, in log order: the same tallies, exactly.
        const plain = await KvStore.open(kv, { prefix: ["run", run++] });
        try {
          // The journals' commits interleave: each commits while the others do.
          await Promise.all(
            logs.map((log, j) =>
              ingest(store, log, { journalId: journalId(j), maxRecords: sc.batch })
            ),
          );
          await ingest(plain, votes, { journalId: journalId(9) });
          for (const target of targets) {
            const have = await store.tally(target.hash);
            assertTallyClose(have, want(target.hash), `target ${target.hash}`);
            assert.deepEqual(have, await plain.tally(target.hash), "order does not matter");
          }
        } finally {
          store.close();
          plain.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});

Deno.test("tally() equals the reference when writers with caches of their own ingest into a store already holding winners", async () => {
  await withKv(async (kv) => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(scenario, fc.boolean(), async (sc, onTarget) => {
        // A winner elsewhere (no shard known empty), or on a target by a voter of its own.
        const seeded = onTarget ? (await target(0)).hash : "ef".repeat(32);
        const seed = await votePayload(seeded, { voter: "seed", value: 1, timestamp: 0 });
        const { targets, logs, want } = await prepare(sc, [
          { assertion: seeded, voter: "seed", value: 1, timestamp: 0, hash: seed.hash },
        ]);
        const prefix = ["writers", run++];
        const writers = await Promise.all([0, 1].map(() => KvStore.open(kv, { prefix })));
        try {
          await ingest(writers[0], [seed], { journalId: journalId(9) });
          // Each journal to one writer; a writer's commits are foreign to the other's cache.
          await Promise.all(
            logs.map((log, j) =>
              ingest(writers[j % 2], log, { journalId: journalId(j), maxRecords: sc.batch })
            ),
          );
          for (const { hash } of targets) {
            assertTallyClose(await writers[1].tally(hash), want(hash), `target ${hash}`);
          }
        } finally {
          for (const writer of writers) writer.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
