/**
 * Case 2 of the ingest benchmark (`bench/ingest_bench.ts`), "append until
 * queryable": N assertions submitted with up to 64 in flight, timed from the
 * first submission until the last record is queryable (records/s = N / that
 * time), against the same records' keys written straight into a fresh KV
 * (issue 15's row, target ≥ 0.8×).
 *
 * Beside the row, in the same interleaved rounds, its bound: the same
 * durable appends and the same keys' commits (the straight peer's own,
 * packed to Deno KV's limits) run side by side in one process, with no
 * ingestor. It is an upper bound of what any ingestor of this journal could
 * reach here: every path must make those appends durable and write at least
 * those keys, in no fewer commits; the bound starts its commits at once,
 * without waiting for a record to be durable, and pays no reading, decoding,
 * planning or cursor. What it costs beyond the straight peer is what the
 * durable appends take from the KV writes when they share the process and
 * the machine's two cores. Its ratio to the straight peer caps the row.
 *
 * The ingestor's very commits (recorded in an untimed warm-up round: cursor,
 * indexes, and as many commits as it chose) beside the same appends are shown
 * too: how much the ingestor's choice of commits costs, apart from its work.
 * Deno KV's own queue (`kv.enqueue()` and a `kv.listenQueue()` handler
 * writing the same keys) runs in the first rounds only (it is 10 to 40 times
 * slower), with the latency of one record submitted alone on both paths.
 *
 * @module
 */
import { Journal } from "../src/wal/mod.ts";
import { contentHash, fromHex } from "../src/records/mod.ts";
import { type KvSet, KvStore } from "../src/store/mod.ts";
import { Ingestor } from "../src/ingest/mod.ts";
import { median } from "./wal_measure.ts";
import {
  payloadOf,
  pooled,
  rate,
  type RecordedOp,
  recordingKv,
  replayCommits,
  waitUntil,
  writeStraight,
} from "./_ingest_common.ts";
import { perRound, quartiles, ratio, rounds, time, trials } from "./_interleaved.ts";
import type { TargetRow } from "./_targets.ts";

/** Options of {@linkcode endToEnd}. */
export interface EndToEndOptions {
  /** Directory for the rounds' journals and KV files. */
  root: string;
  /** Assertions submitted per round. */
  records: number;
  /** Appends in flight. */
  inFlight: number;
  /** Interleaved rounds of the row, its peer and its bounds. */
  rounds: number;
  /** Rounds (the first ones) that also run Deno KV's queue. */
  queueRounds: number;
  /** Records submitted alone, one at a time, for the latency (in the warm-up round). */
  latencySamples: number;
  /** Target ratio to the straight peer. */
  target: number;
}

interface Latency {
  payloads: Uint8Array[];
  hashes: string[];
}

/** Append until queryable through journal → Ingestor → KV; milliseconds, and one record's latencies. */
async function ingestorPath(
  dir: string,
  payloads: Uint8Array[],
  options: {
    inFlight: number;
    latency: Latency | null;
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
    await pooled(payloads.length, options.inFlight, (i) => journal.append(payloads[i]));
    const appendMs = performance.now() - t0;
    // As a user waits (HTTP's ?wait=ingested): until the commit that holds the last record is
    // confirmed, rather than polling KV, whose reads would queue beside the commits.
    // waitFor(offset) waits for the cursor to pass the record at `offset`: here, to reach the end.
    await ingestor.waitFor(journal.durableOffset - 1);
    const ms = performance.now() - t0;
    const last = await contentHash(payloads.at(-1)!);
    if (await store.getAssertion(last) === null) {
      throw new Error(
        `Cannot measure append until queryable: ${last} is not in KV once waited for`,
      );
    }
    return { ms, appendMs, latencies };
  } finally {
    await ingestor.stop();
    store.close();
    kv.close();
    await journal.close();
  }
}

/**
 * The same durable appends and `commit` (writing KV commits) side by side in
 * one process with no ingestor. Milliseconds.
 */
async function appendsBeside(
  dir: string,
  payloads: Uint8Array[],
  inFlight: number,
  commit: (kv: Deno.Kv) => Promise<unknown>,
): Promise<number> {
  const journal = await Journal.open(`${dir}/wal`);
  const kv = await Deno.openKv(`${dir}/kv.sqlite`);
  try {
    return await time(() =>
      Promise.all([
        pooled(payloads.length, inFlight, (i) => journal.append(payloads[i])),
        commit(kv),
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
  options: { inFlight: number; latency: Latency | null },
): Promise<{ ms: number; latencies: number[] }> {
  const { latency } = options;
  const kv = await Deno.openKv(path);
  const planner = await KvStore.open(kv);
  let written = 0;
  const listening = kv.listenQueue(async (msg) => {
    const payload = msg as Uint8Array;
    const plan = planner.recordMutations(payload, fromHex(await contentHash(payload)));
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
    await pooled(payloads.length, options.inFlight, (i) => kv.enqueue(payloads[i]));
    await waitUntil(() => Promise.resolve(written - before >= payloads.length));
    return { ms: performance.now() - t0, latencies };
  } finally {
    kv.close();
    await listening.catch(() => {});
  }
}

/** Run case 2 and print it; returns issue 15's row, with its bound. */
export async function endToEnd(options: EndToEndOptions): Promise<TargetRow> {
  const { root, records: n, inFlight } = options;
  console.log(
    `\n2. End to end (append until queryable), ${n} assertions, ${inFlight} in flight, ` +
      `median of ${options.rounds} interleaved rounds after one warm-up (the queue: ` +
      `${options.queueRounds})`,
  );
  const payloads = Array.from({ length: n }, (_, i) => payloadOf(i, `e2e-${i}`));
  const lastHash = await contentHash(payloads.at(-1)!);
  const latencyPayloads = Array.from(
    { length: options.latencySamples },
    (_, i) => payloadOf(i, `lat-${i}`),
  );
  const latency = {
    payloads: latencyPayloads,
    hashes: await Promise.all(latencyPayloads.map((p) => contentHash(p))),
  };
  const planner = await KvStore.open(":memory:");
  const sets: KvSet[] = [];
  for (const payload of payloads) {
    const plan = planner.recordMutations(payload, fromHex(await contentHash(payload)));
    if (plan.ok) sets.push(...plan.sets);
  }
  planner.close();

  const recorded: RecordedOp[][] = [];
  const latIngest: number[] = [];
  const latQueue: number[] = [];
  const appendMs: number[] = [];
  let straightCommits = 0;
  const ms = await rounds(options.rounds, {
    ingestor: async (round) => {
      const dir = `${root}/e2e-ingest-${round}`;
      const run = await ingestorPath(dir, payloads, {
        inFlight,
        latency: round < 0 ? latency : null,
        record: round < 0 ? recorded : undefined,
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
        return await time(async () => straightCommits = await writeStraight(kv, sets));
      } finally {
        kv.close();
      }
    },
    "appends beside the same keys": (round) =>
      appendsBeside(
        `${root}/e2e-bound-${round}`,
        payloads,
        inFlight,
        (kv) => writeStraight(kv, sets),
      ),
    "appends beside its commits": (round) =>
      appendsBeside(
        `${root}/e2e-own-${round}`,
        payloads,
        inFlight,
        (kv) => replayCommits(kv, recorded),
      ),
    "KV queue": async (round) => {
      if (round < 0 || round >= options.queueRounds) return null;
      const run = await queuePath(`${root}/e2e-queue-${round}.sqlite`, payloads, {
        inFlight,
        latency: round === 0 ? latency : null,
      });
      latQueue.push(...run.latencies);
      return run.ms;
    },
  }, 1);
  const ingestMs = median(ms.ingestor);
  const straight = ms["straight into KV"];
  const bound = ms["appends beside the same keys"];
  const own = ms["appends beside its commits"];
  const straightMs = median(straight);
  const r = ratio(ms.ingestor, straight);
  const cap = perRound(bound, straight);
  const reach = perRound(ms.ingestor, bound);
  const ownCap = perRound(own, straight);
  const ownReach = perRound(ms.ingestor, own);
  console.log(
    `   ingestor: ${rate(n, ingestMs)} (${ingestMs.toFixed(0)} ms; durable appends done after ` +
      `${median(appendMs).toFixed(0)} ms; rounds ${trials(ms.ingestor)} ms); ` +
      `one record alone: median ${median(latIngest).toFixed(1)} ms`,
  );
  console.log(
    `   the same keys straight into a fresh KV, packed to its limits (${straightCommits} ` +
      `commits): ${rate(n, straightMs)} (${straightMs.toFixed(0)} ms; rounds ${
        trials(straight)
      } ms)`,
  );
  const boundMs = median(bound);
  const boundText = `the same durable appends beside the same keys' commits, one process, no ` +
    `ingestor: ${rate(n, boundMs)}, which caps the ratio at ${median(cap).toFixed(2)}× ` +
    `(quartiles ${quartiles(cap)} over ${cap.length} rounds); the ingestor reaches ` +
    `${median(reach).toFixed(2)}× of it (quartiles ${quartiles(reach)})`;
  console.log(`   bound: ${boundText} (${boundMs.toFixed(0)} ms; rounds ${trials(bound)} ms)`);
  console.log(
    `   the same appends beside the ingestor's very commits (${recorded.length} commits, ` +
      `${recorded.reduce((m, c) => m + c.length, 0)} mutations): ${rate(n, median(own))} ` +
      `(rounds ${trials(own)} ms), capping the ratio at ${median(ownCap).toFixed(2)}× ` +
      `(quartiles ${quartiles(ownCap)}); the ingestor reaches ${median(ownReach).toFixed(2)}× ` +
      `of it (quartiles ${quartiles(ownReach)})`,
  );
  const queueMs = median(ms["KV queue"]);
  console.log(
    `   Deno KV queue: ${rate(n, queueMs)} (${queueMs.toFixed(0)} ms); one record alone: ` +
      `median ${median(latQueue).toFixed(1)} ms`,
  );
  console.log(
    `   ratio: ${r.toFixed(2)}× the keys straight into KV (quartiles ` +
      `${quartiles(perRound(ms.ingestor, straight))}; target ≥ ${options.target}×); ` +
      `${ratio(ms.ingestor, ms["KV queue"]).toFixed(1)}× the queue's throughput ` +
      `(the straight path is ${ratio(straight, ms["KV queue"]).toFixed(1)}×), ` +
      `latency ${(median(latQueue) / median(latIngest)).toFixed(1)}× lower`,
  );
  return {
    key: "append-until-queryable",
    path: `append until queryable, ${n.toLocaleString("en-US")} assertions, ${inFlight} ` +
      "in flight, vs the same keys straight into a fresh KV",
    figure: rate(n, ingestMs),
    peer: `the same keys straight into a fresh KV: ${rate(n, straightMs)}`,
    ratio: r,
    compare: ">=",
    target: options.target,
    bound: boundText,
  };
}
