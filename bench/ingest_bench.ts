/**
 * Ingestor benchmark, one run, three comparisons (figures, not timed tests:
 * the exit code is 0 whatever the figures are):
 *
 * 1. Throughput: 100,000 records of the realistic corpus (`bench/_corpus.ts`:
 *    assertions of natural sizes, votes, epochs) from a prepared journal into
 *    a fresh Deno KV, against the very mutations the ingestor committed
 *    (recorded in an untimed run: records, indexes, winners, tally sums,
 *    guards, cursor) written straight into a fresh Deno KV in the same
 *    commits. Target ≥ 0.9× (issue 15). Beside it, the records' own sets
 *    packed to Deno KV's limits, in this layout (3) and as layout 2 wrote
 *    them (hashes in keys as hex, the subject index's value the hash).
 * 2. End to end, "append until queryable" (`bench/_ingest_e2e.ts`): N
 *    assertions submitted with up to 64 in flight, timed from the first
 *    submission until the last record is queryable (records/s = N / that
 *    time), against the same records' keys written straight into a fresh KV.
 *    Target ≥ 0.8× (issue 15). Beside it, its bound (the same durable
 *    appends beside the same keys' commits, no ingestor), Deno KV's own
 *    queue, and the latency of one record submitted alone on both paths.
 * 3. Memory: RSS while the ingestor works through a 1 GiB log
 *    (`bench/ingest_memory_bench.ts`).
 *
 * Cases 1 and 2 run in interleaved rounds (every side once per round, the
 * order alternating); a figure is the median over rounds and a ratio the
 * median of the per-round ratios, so both sides of a ratio ran under the same
 * background load.
 *
 * Usage: `deno run -A bench/ingest_bench.ts [--quick] [--rounds N]
 * [--e2e-rounds N]` (quick: 20,000 records, 500 end to end, 128 MiB log, 3
 * rounds, 9 end to end; else 5 and 21). `--only throughput|e2e|memory` runs
 * one case; `--log-mib N` sizes the memory log; `--records N` the
 * throughput case. Case 2's rounds are a fraction of a second each and its
 * ratios are close to each other, so it runs many.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Journal } from "../src/wal/mod.ts";
import { KvStore } from "../src/store/mod.ts";
import { Ingestor } from "../src/ingest/mod.ts";
import { median } from "./wal_measure.ts";
import {
  corpusPayloads,
  hexLayout,
  plannedSets,
  prepareJournal,
  rate,
  type RecordedOp,
  recordingKv,
  replayCommits,
  writeStraight,
} from "./_ingest_common.ts";
import { ratio, rounds, time, trials } from "./_interleaved.ts";
import { endToEnd } from "./_ingest_e2e.ts";
import { memory } from "./ingest_memory_bench.ts";
import { reportTargets, type TargetRow } from "./_targets.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean" },
    "log-mib": { type: "string" },
    only: { type: "string" },
    rounds: { type: "string" },
    records: { type: "string" },
    "e2e-rounds": { type: "string" },
  },
});
const quick = flags.quick ?? false;
const THROUGHPUT_RECORDS = flags.records !== undefined
  ? Number(flags.records)
  : quick
  ? 20_000
  : 100_000;
const E2E_RECORDS = quick ? 500 : 2_000;
const E2E_IN_FLIGHT = 64;
const ROUNDS = flags.rounds !== undefined ? Number(flags.rounds) : quick ? 3 : 5;
/** Case 2's rounds are short (a fraction of a second) and its ratios close: many of them. */
const E2E_ROUNDS = flags["e2e-rounds"] !== undefined ? Number(flags["e2e-rounds"]) : quick ? 9 : 21;
const LATENCY_SAMPLES = quick ? 10 : 20;
const MEMORY_LOG_BYTES = flags["log-mib"] !== undefined
  ? Number(flags["log-mib"]) * 1024 ** 2
  : quick
  ? 128 * 1024 ** 2
  : 1024 ** 3;
/** Issue 15's targets. */
const TARGET = { throughput: 0.9, e2e: 0.8 } as const;

const root = await Deno.makeTempDir({ prefix: "stemedb-ingest-bench-" });
const results: TargetRow[] = [];

// ---------------------------------------------------------------- 1. throughput
async function throughput(): Promise<void> {
  const n = THROUGHPUT_RECORDS;
  console.log(
    `\n1. Ingest throughput, ${n.toLocaleString("en-US")} records of the realistic corpus, ` +
      `median of ${ROUNDS} interleaved rounds`,
  );
  const payloads = corpusPayloads(n);
  const payloadBytes = payloads.reduce((sum, p) => sum + p.byteLength, 0);
  const journalDir = `${root}/tp-wal`;
  await prepareJournal(journalDir, n, (i) => payloads[i]);
  const journal = await Journal.open(journalDir, { readOnly: true });
  const sets = await plannedSets(journal);
  const hex = hexLayout(sets);
  const recorded: RecordedOp[][] = [];
  {
    const kv = await Deno.openKv(`${root}/tp-record.sqlite`);
    const store = await KvStore.open(recordingKv(kv, recorded));
    await new Ingestor(journal, store).runOnce();
    store.close();
    kv.close();
  }
  const mutations = recorded.reduce((n, c) => n + c.length, 0);
  let commits = 0;
  let straightCommits = 0;
  let hexCommits = 0;
  const ms = await rounds(ROUNDS, {
    "same commits straight into KV": async (round) => {
      const kv = await Deno.openKv(`${root}/tp-peer-${round}.sqlite`);
      try {
        return await time(() => replayCommits(kv, recorded));
      } finally {
        kv.close();
      }
    },
    "layout 2 straight into KV": async (round) => {
      const kv = await Deno.openKv(`${root}/tp-hex-${round}.sqlite`);
      try {
        return await time(async () => hexCommits = await writeStraight(kv, hex));
      } finally {
        kv.close();
      }
    },
    "straight into KV": async (round) => {
      const kv = await Deno.openKv(`${root}/tp-straight-${round}.sqlite`);
      try {
        return await time(async () => straightCommits = await writeStraight(kv, sets));
      } finally {
        kv.close();
      }
    },
    ingestor: async (round) => {
      const store = await KvStore.open(`${root}/tp-ingest-${round}.sqlite`);
      try {
        const t0 = performance.now();
        const report = await new Ingestor(journal, store).runOnce();
        const took = performance.now() - t0;
        if (report.applied !== n) {
          throw new Error(`Cannot trust the run: applied ${report.applied} of ${n}`);
        }
        commits = report.commits;
        return took;
      } finally {
        store.close();
      }
    },
  });
  await journal.close();
  const ingestMs = median(ms.ingestor);
  const peerMs = median(ms["same commits straight into KV"]);
  const straightMs = median(ms["straight into KV"]);
  const r = ratio(ms.ingestor, ms["same commits straight into KV"]);
  console.log(
    `   (${(payloadBytes / n).toFixed(0)} bytes a payload on average; the ingestor commits ` +
      `${mutations} mutations, the records' own sets are ${sets.length})`,
  );
  console.log(
    `   ingestor: ${rate(n, ingestMs)} (${ingestMs.toFixed(0)} ms, ${commits} commits; ` +
      `rounds ${trials(ms.ingestor)} ms)`,
  );
  console.log(
    `   the mutations it committed straight into KV, in the same commits: ${rate(n, peerMs)} ` +
      `(${peerMs.toFixed(0)} ms; rounds ${trials(ms["same commits straight into KV"])} ms)`,
  );
  console.log(`   ratio: ${r.toFixed(2)}× (target ≥ ${TARGET.throughput}×)`);
  console.log(
    `   the records' own sets straight into KV, packed to its limits: ${rate(n, straightMs)} ` +
      `(${straightMs.toFixed(0)} ms, ${straightCommits} commits; rounds ${
        trials(ms["straight into KV"])
      } ms)`,
  );
  const hexMs = median(ms["layout 2 straight into KV"]);
  console.log(
    `   the same sets as layout 2 wrote them (hashes in keys as hex), straight into KV: ` +
      `${rate(n, hexMs)} (${hexCommits} commits); layout 3 is ` +
      `${ratio(ms["straight into KV"], ms["layout 2 straight into KV"]).toFixed(2)}× as fast`,
  );
  results.push({
    key: "ingest-corpus",
    path: `ingest of ${n.toLocaleString("en-US")} corpus records vs the same mutations straight ` +
      "into KV",
    figure: rate(n, ingestMs),
    peer: `the mutations it committed, in the same commits, straight into KV: ${rate(n, peerMs)}`,
    ratio: r,
    compare: ">=",
    target: TARGET.throughput,
  });
}

try {
  console.log(`stemedb ingest benchmark${quick ? " (quick)" : ""}, Deno ${Deno.version.deno}`);
  const only = flags.only;
  if (only === undefined || only === "throughput") await throughput();
  if (only === undefined || only === "e2e") {
    results.push(
      await endToEnd({
        root,
        records: E2E_RECORDS,
        inFlight: E2E_IN_FLIGHT,
        rounds: E2E_ROUNDS,
        queueRounds: Math.min(ROUNDS, E2E_ROUNDS),
        latencySamples: LATENCY_SAMPLES,
        target: TARGET.e2e,
      }),
    );
  }
  if (only === undefined || only === "memory") results.push(await memory(root, MEMORY_LOG_BYTES));
  await reportTargets(results);
} finally {
  await Deno.remove(root, { recursive: true });
}
