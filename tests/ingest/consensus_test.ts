import assert from "node:assert/strict";
import { contentHash, serializeEpoch, serializeVote } from "../../src/records/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import { Journal } from "../../src/wal/mod.ts";
import { Ingestor } from "../../src/ingest/mod.ts";
import { KV_BACKENDS, withKvBackend } from "../support/kv_connect/mod.ts";
import {
  assertTallyClose,
  type RefEpoch,
  referenceEpochs,
  referenceTallies,
  type RefVote,
} from "../support/consensus_reference.ts";

const TARGETS = Array.from({ length: 5 }, (_, i) => `${i}${i}`.repeat(32));
const EPOCH_IDS = ["e0", "e1", "e2"];

/**
 * Votes of shared voters on a few assertions: each journal gets every vote
 * of its own and a copy of some of the other's, in its own order. Among them,
 * versions of a few epoch ids that both journals redefine, some tied on
 * `startTime`.
 */
async function writeJournals(
  dirs: string[],
  perJournal: number,
): Promise<{ votes: RefVote[]; epochs: RefEpoch[] }> {
  const votes: RefVote[] = [];
  const epochs: RefEpoch[] = [];
  const payloads: Uint8Array[][] = dirs.map(() => []);
  for (let j = 0; j < dirs.length; j++) {
    for (let i = 0; i < perJournal; i++) {
      const vote = {
        assertion: TARGETS[(i * 3 + j) % TARGETS.length],
        voter: `voter-${i % 11}`,
        value: ((i + j) % 5 - 2) / 2,
        timestamp: ((i * 7919 + j * 104729) % 97) - 20,
      };
      const payload = serializeVote(vote);
      votes.push({ ...vote, hash: await contentHash(payload) });
      payloads[j].push(payload);
      // The same vote in the other journal too, now and then.
      if (i % 4 === 0) payloads[(j + 1) % dirs.length].push(payload);
      if (i % 10 === 3) {
        const id = EPOCH_IDS[(i + j) % EPOCH_IDS.length];
        const epoch = { id, name: `${j}/${i}`, description: "", startTime: (i * 13 + j * 7) % 4 };
        const version = serializeEpoch(epoch);
        epochs.push({ id, startTime: epoch.startTime, hash: await contentHash(version) });
        payloads[j].push(version);
      }
    }
  }
  for (const [j, dir] of dirs.entries()) {
    const journal = await Journal.open(dir);
    for (let i = 0; i < payloads[j].length; i += 50) {
      await journal.appendBatch(payloads[j].slice(i, i + 50));
    }
    await journal.close();
  }
  return { votes, epochs };
}

/** The hash of the version `store` keeps under each of `EPOCH_IDS`. */
async function keptEpochs(store: KvStore): Promise<Map<string, string | undefined>> {
  const kept = await Promise.all(EPOCH_IDS.map((id) => store.getEpoch(id)));
  return new Map(EPOCH_IDS.map((id, i) => [id, kept[i]?.hash]));
}

for (const backend of KV_BACKENDS) {
  Deno.test(`Two journals voting on the same assertions and redefining the same epochs, ingested at once, end with the reference tallies and epochs (${backend} KV)`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "stemedb-consensus-" });
    try {
      const dirs = [`${dir}/a`, `${dir}/b`];
      const { votes, epochs } = await writeJournals(dirs, backend === "local" ? 400 : 120);
      await withKvBackend(backend, async ({ target, server }) => {
        // A remote KV that loses commit answers now and then: Deno's client writes again.
        server?.setFaults({ lostAfterApply: { rate: 0.2, on: ["atomic_write"] }, seed: 11 });
        const journals = await Promise.all(dirs.map((d) => Journal.open(d, { readOnly: true })));
        const stores = await Promise.all(journals.map(() => KvStore.open(target)));
        try {
          // Small commits, so the two journals' commits interleave many times.
          const ingestors = journals.map((j, i) => new Ingestor(j, stores[i], { batchRecords: 9 }));
          const reports = await Promise.all(ingestors.map((i) => i.runOnce()));
          assert.ok(reports.every((r) => r.caughtUp));
          if (server !== undefined) assert.ok(server.stats.faults.lostAfterApply > 0);
          const reference = referenceTallies(votes);
          for (const t of TARGETS) {
            assertTallyClose(await stores[0].tally(t), reference.get(t)!, `the tally of ${t}`);
          }
          const kept = await keptEpochs(stores[0]);
          assert.deepEqual(kept, referenceEpochs(epochs), "the epochs the rule keeps");
          // Either journal replayed from its first record changes nothing.
          const before = await Promise.all(TARGETS.map((t) => stores[0].tally(t)));
          await stores[0].kv.delete(stores[0].keys.cursor(journals[1].id));
          assert.ok((await ingestors[1].runOnce()).applied > 0);
          assert.deepEqual(await Promise.all(TARGETS.map((t) => stores[0].tally(t))), before);
          assert.deepEqual(await keptEpochs(stores[0]), kept);
        } finally {
          server?.setFaults({});
          for (const s of stores) s.close();
          for (const j of journals) await j.close();
        }
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
