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
 * 2. End to end, "append until queryable": N assertions submitted with up to
 *    64 in flight, timed from the first submission until the last record is
 *    queryable (records/s = N / that time), against the bound of any such
 *    path: the same records' keys written straight into a fresh KV. Target
 *    ≥ 0.8× (issue 15). Deno KV's own queue (`kv.enqueue()` and a
 *    `kv.listenQueue()` handler writing the same keys) is shown beside it,
 *    and the latency of one record submitted alone on both paths.
 * 3. Memory: RSS while the ingestor works through a 1 GiB log
 *    (`bench/ingest_memory_bench.ts`).
 *
 * Cases 1 and 2 run in interleaved rounds (every side once per round, the
 * order alternating); a figure is the median over rounds and a ratio the
 * median of the per-round ratios, so both sides of a ratio ran under the same
 * background load.
 *
 * Usage: `deno run -A bench/ingest_bench.ts [--quick] [--rounds N]` (quick:
 * 20,000 records, 500 end to end, 128 MiB log, 3 rounds). `--only
 * throughput|e2e|memory` runs one case; `--log-mib N` sizes the memory log;
 * `--records N` the throughput case.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Journal } from "../src/wal/mod.ts";
import { contentHash } from "../src/records/mod.ts";
import { type KvSet, KvStore } from "../src/store/mod.ts";
import { Ingestor } from "../src/ingest/mod.ts";
import { median } from "./wal_measure.ts";
import {
  corpusPayloads,
  hexLayout,
  payloadOf,
  plannedSets,
  pooled,
  prepareJournal,
  rate,
  type RecordedOp,
  recordingKv,
  replayCommits,
  waitUntil,
  writeStraight,
} from "./_ingest_common.ts";
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

/** Milliseconds `fn` takes. */
async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Runs `sides` once per round, in an order alternating between rounds; milliseconds per side. */
async function rounds(
  sides: Record<string, (round: number) => Promise<number>>,
): Promise<Record<string, number[]>> {
  const names = Object.keys(sides);
  const ms: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const took = await sides[name](round);
      ms[name].push(took);
      console.error(`  round ${round + 1}: ${name}: ${took.toFixed(0)} ms`);
    }
  }
  return ms;
}

/** Median over rounds of `peer[i] / subject[i]` (times: the subject's speed relative to the peer). */
function ratio(subjectMs: number[], peerMs: number[]): number {
  return median(subjectMs.map((ms, i) => peerMs[i] / ms));
}

function trials(ms: number[]): string {
  return ms.map((t) => t.toFixed(0)).join("/");
}

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
  const ms = await rounds({
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

// ---------------------------------------------------------------- 2. end to end
/** Append until queryable through journal → Ingestor → KV; milliseconds, and one record's latencies. */
async function ingestorPath(
  dir: string,
  payloads: Uint8Array[],
  options: {
    latency: { payloads: Uint8Array[]; hashes: string[] } | null;
    /** Filled with the commits the ingestor made for `payloads` (not for the latency samples). */
    record?: RecordedOp[][];
  },
): Promise<{ ms: number; appendMs: number; latencies: number[] }> {
  const { latency, record } = options;
  const journal = await Journal.open(`${dir}/wal`);
  const kv = await Deno.openKv(`${dir}/kv.sqlite`);
  const store = await KvStore.open(record === undefined ? kv : recordingKv(kv, record));
  const ingestor = new Ingestor(journal, store, { pollIntervalMs: 250 });
  ingestor.start();
  try {
    const latencies: number[] = [];
    for (let i = 0; i < (latency?.payloads.length ?? 0); i++) {
      const t0 = performance.now();
      await journal.append(latency!.payloads[i]);
      await waitUntil(async () => (await store.getAssertion(latency!.hashes[i])) !== null);
      latencies.push(performance.now() - t0);
    }
    record?.splice(0);
    const t0 = performance.now();
    await pooled(payloads.length, E2E_IN_FLIGHT, (i) => journal.append(payloads[i]));
    const appendMs = performance.now() - t0;
    await waitUntil(async () =>
      (await store.readCursor(journal.id)).offset === journal.durableOffset
    );
    return { ms: performance.now() - t0, appendMs, latencies };
  } finally {
    await ingestor.stop();
    store.close();
    kv.close();
    await journal.close();
  }
}

/**
 * The bound of append until queryable: the same durable appends and the very
 * commits the ingestor made, run side by side in one process with no
 * ingestor (no reading, planning or waiting for a record to be durable before
 * committing it). Milliseconds.
 */
async function appendsBesideCommits(
  dir: string,
  payloads: Uint8Array[],
  commits: readonly RecordedOp[][],
): Promise<number> {
  const journal = await Journal.open(`${dir}/wal`);
  const kv = await Deno.openKv(`${dir}/kv.sqlite`);
  try {
    return await time(() =>
      Promise.all([
        pooled(payloads.length, E2E_IN_FLIGHT, (i) => journal.append(payloads[i])),
        replayCommits(kv, commits),
      ])
    );
  } finally {
    kv.close();
    await journal.close();
  }
}

/** The same through Deno KV's queue: enqueue → listenQueue handler writes the sets → queryable. */
async function queuePath(
  path: string,
  payloads: Uint8Array[],
  latency: { payloads: Uint8Array[]; hashes: string[] } | null,
): Promise<{ ms: number; latencies: number[] }> {
  const kv = await Deno.openKv(path);
  const planner = await KvStore.open(kv);
  let written = 0;
  const listening = kv.listenQueue(async (msg) => {
    const payload = msg as Uint8Array;
    const plan = planner.recordMutations(payload, hexBytes(await contentHash(payload)));
    if (!plan.ok) throw new Error(`Cannot apply queued record: ${plan.reason}`);
    const op = kv.atomic();
    for (const s of plan.sets) op.set(s.key, s.value);
    await op.commit();
    written++;
  });
  try {
    const latencies: number[] = [];
    for (let i = 0; i < (latency?.payloads.length ?? 0); i++) {
      const t = performance.now();
      await kv.enqueue(latency!.payloads[i]);
      await waitUntil(async () => (await planner.getAssertion(latency!.hashes[i])) !== null);
      latencies.push(performance.now() - t);
    }
    const before = written;
    const t0 = performance.now();
    await pooled(payloads.length, E2E_IN_FLIGHT, (i) => kv.enqueue(payloads[i]));
    await waitUntil(() => Promise.resolve(written - before >= payloads.length));
    return { ms: performance.now() - t0, latencies };
  } finally {
    kv.close();
    await listening.catch(() => {});
  }
}

async function endToEnd(): Promise<void> {
  console.log(
    `\n2. End to end (append until queryable), ${E2E_RECORDS} assertions, ${E2E_IN_FLIGHT} ` +
      `in flight, median of ${ROUNDS} interleaved rounds`,
  );
  const payloads = Array.from({ length: E2E_RECORDS }, (_, i) => payloadOf(i, `e2e-${i}`));
  const lastHash = await contentHash(payloads.at(-1)!);
  const latencyPayloads = Array.from(
    { length: LATENCY_SAMPLES },
    (_, i) => payloadOf(i, `lat-${i}`),
  );
  const latency = {
    payloads: latencyPayloads,
    hashes: await Promise.all(latencyPayloads.map((p) => contentHash(p))),
  };
  const planner = await KvStore.open(":memory:");
  const sets: KvSet[] = [];
  for (const payload of payloads) {
    const plan = planner.recordMutations(payload, hexBytes(await contentHash(payload)));
    if (plan.ok) sets.push(...plan.sets);
  }
  planner.close();

  const recorded: RecordedOp[][] = [];
  const latIngest: number[] = [];
  const latQueue: number[] = [];
  const appendMs: number[] = [];
  const ms = await rounds({
    ingestor: async (round) => {
      const dir = `${root}/e2e-ingest-${round}`;
      const run = await ingestorPath(dir, payloads, {
        latency: round === 0 ? latency : null,
        record: round === 0 ? recorded : undefined,
      });
      const store = await KvStore.open(`${dir}/kv.sqlite`);
      const found = await store.getAssertion(lastHash);
      store.close();
      if (found === null) throw new Error("Cannot find the last record");
      latIngest.push(...run.latencies);
      appendMs.push(run.appendMs);
      return run.ms;
    },
    "straight into KV": async (round) => {
      const kv = await Deno.openKv(`${root}/e2e-straight-${round}.sqlite`);
      try {
        return await time(() => writeStraight(kv, sets));
      } finally {
        kv.close();
      }
    },
    "appends beside its commits": (round) =>
      appendsBesideCommits(`${root}/e2e-bound-${round}`, payloads, recorded),
    "KV queue": async (round) => {
      const run = await queuePath(
        `${root}/e2e-queue-${round}.sqlite`,
        payloads,
        round === 0 ? latency : null,
      );
      latQueue.push(...run.latencies);
      return run.ms;
    },
  });
  const n = E2E_RECORDS;
  const ingestMs = median(ms.ingestor);
  const straightMs = median(ms["straight into KV"]);
  const queueMs = median(ms["KV queue"]);
  const r = ratio(ms.ingestor, ms["straight into KV"]);
  console.log(
    `   ingestor: ${rate(n, ingestMs)} (${ingestMs.toFixed(0)} ms; durable appends done after ` +
      `${median(appendMs).toFixed(0)} ms; rounds ${trials(ms.ingestor)} ms); ` +
      `one record alone: median ${median(latIngest).toFixed(1)} ms`,
  );
  console.log(
    `   the same keys straight into a fresh KV, packed to its limits: ${rate(n, straightMs)} ` +
      `(${straightMs.toFixed(0)} ms; rounds ${trials(ms["straight into KV"])} ms)`,
  );
  const boundMs = median(ms["appends beside its commits"]);
  console.log(
    `   bound: the same durable appends and the ingestor's very commits (${recorded.length} ` +
      `commits, ${recorded.reduce((m, c) => m + c.length, 0)} mutations) side by side, no ` +
      `ingestor: ${rate(n, boundMs)} (${boundMs.toFixed(0)} ms; rounds ${
        trials(ms["appends beside its commits"])
      } ms); the ingestor reaches ${
        ratio(ms.ingestor, ms["appends beside its commits"]).toFixed(2)
      }× of it, which caps the ratio to the same keys at ${
        ratio(ms["appends beside its commits"], ms["straight into KV"]).toFixed(2)
      }×`,
  );
  console.log(
    `   Deno KV queue: ${rate(n, queueMs)} (${queueMs.toFixed(0)} ms); one record alone: ` +
      `median ${median(latQueue).toFixed(1)} ms`,
  );
  console.log(
    `   ratio: ${r.toFixed(2)}× the keys straight into KV (target ≥ ${TARGET.e2e}×); ` +
      `${ratio(ms.ingestor, ms["KV queue"]).toFixed(1)}× the queue's throughput ` +
      `(the straight path is ${ratio(ms["straight into KV"], ms["KV queue"]).toFixed(1)}×), ` +
      `latency ${(median(latQueue) / median(latIngest)).toFixed(1)}× lower`,
  );
  results.push({
    key: "append-until-queryable",
    path: `append until queryable, ${n.toLocaleString("en-US")} assertions, ${E2E_IN_FLIGHT} ` +
      "in flight, vs the same keys straight into a fresh KV",
    figure: rate(n, ingestMs),
    peer: `the same keys straight into a fresh KV: ${rate(n, straightMs)}`,
    ratio: r,
    compare: ">=",
    target: TARGET.e2e,
  });
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
}

try {
  console.log(`stemedb ingest benchmark${quick ? " (quick)" : ""}, Deno ${Deno.version.deno}`);
  const only = flags.only;
  if (only === undefined || only === "throughput") await throughput();
  if (only === undefined || only === "e2e") await endToEnd();
  if (only === undefined || only === "memory") results.push(await memory(root, MEMORY_LOG_BYTES));
  await reportTargets(results);
} finally {
  await Deno.remove(root, { recursive: true });
}
