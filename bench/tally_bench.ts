/**
 * Consensus benchmark, one run, two comparisons:
 *
 * 1. Vote ingest throughput with winners and materialized tallies: N votes
 *    from a prepared journal into a fresh Deno KV — half on one hot
 *    assertion, half spread over 1,000 others, every voter voting several
 *    times with shuffled timestamps so winners keep changing — against the
 *    peer: the very mutations the ingestor committed (recorded in an untimed
 *    run: vote, winner and guard sets, tally sums) written straight into a
 *    fresh Deno KV in the same atomic commits, with no reads and no checks.
 *    Medians of interleaved trials. Target ≥ 0.8× the peer.
 * 2. Tally read: `store.tally()` of the hot assertion (100,000 votes in the
 *    full run) against an assertion with 1 vote, in interleaved rounds;
 *    medians. Target: the same time within noise (ratio ≤ 1.25).
 *
 * Usage: `deno run -A bench/tally_bench.ts [--quick]` (quick: 20,000 votes).
 * Prints PASS/FAIL per target and exits 0 either way.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Journal } from "../src/wal/mod.ts";
import { serializeVote } from "../src/records/mod.ts";
import { KvStore } from "../src/store/mod.ts";
import { Ingestor } from "../src/ingest/mod.ts";
import { reportTargets, type TargetRow } from "./_targets.ts";

const { values: flags } = parseArgs({ args: Deno.args, options: { quick: { type: "boolean" } } });
const quick = flags.quick ?? false;
const VOTES = quick ? 20_000 : 200_000;
const SPREAD = 1_000;
const VOTES_PER_VOTER = 4;
const TRIALS = 3;
const READ_ROUNDS = quick ? 200 : 1_000;

const HOT = "ab".repeat(32);
const SINGLE = "cd".repeat(32);
const spreadHash = (i: number) => i.toString(16).padStart(64, "0");

const root = await Deno.makeTempDir({ prefix: "stemedb-tally-bench-" });
const results: TargetRow[] = [];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function rate(n: number, ms: number): string {
  return `${Math.round(n / (ms / 1000)).toLocaleString("en-US")} votes/s`;
}

/** Vote `i`: even ones on the hot assertion, odd ones spread; timestamps shuffled per voter. */
function voteOf(i: number): Uint8Array {
  const hot = i % 2 === 0;
  const voter = `voter-${Math.floor(i / (2 * VOTES_PER_VOTER))}`;
  const round = Math.floor(i / 2) % VOTES_PER_VOTER;
  return serializeVote({
    assertion: hot ? HOT : spreadHash(Math.floor(i / 2) % SPREAD),
    voter,
    value: ((i * 7) % 5 - 2) / 2,
    // Rounds 0..3 arrive with timestamps 2, 0, 3, 1: every other one changes the winner.
    timestamp: 1_700_000_000_000 + [2, 0, 3, 1][round],
  });
}

type Op =
  | { kind: "set"; key: Deno.KvKey; value: unknown }
  | { kind: "sum"; key: Deno.KvKey; value: Deno.KvU64 };

/** A view of `kv` that records the mutations of every successful commit, commit by commit. */
function recordingKv(kv: Deno.Kv, out: Op[][]): Deno.Kv {
  const atomic = () => {
    const op = kv.atomic();
    const ops: Op[] = [];
    const proxy: Deno.AtomicOperation = new Proxy(op, {
      get(o, p) {
        if (p === "commit") {
          return async () => {
            const r = await o.commit();
            if (r.ok) out.push(ops);
            return r;
          };
        }
        const v = Reflect.get(o, p, o);
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          if (p === "set") ops.push({ kind: "set", key: args[0] as Deno.KvKey, value: args[1] });
          if (p === "mutate") {
            const m = args[0] as Deno.KvMutation & { value: Deno.KvU64 };
            ops.push({ kind: "sum", key: m.key, value: m.value });
          }
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

async function ingestInto(journal: Journal, path: string, kvView?: (kv: Deno.Kv) => Deno.Kv) {
  const kv = await Deno.openKv(path);
  const store = await KvStore.open(kvView ? kvView(kv) : kv);
  const t0 = performance.now();
  const report = await new Ingestor(journal, store).runOnce();
  const ms = performance.now() - t0;
  if (report.applied !== VOTES + 1) {
    throw new Error(`Cannot trust the run: applied ${report.applied} of ${VOTES + 1}`);
  }
  store.close();
  kv.close();
  return { ms, commits: report.commits };
}

// ---------------------------------------------------------------- 1. throughput
console.log(`\n1. Vote ingest throughput, ${VOTES.toLocaleString("en-US")} votes + 1`);
const journalDir = `${root}/wal`;
{
  const journal = await Journal.open(journalDir, { durability: "none" });
  for (let i = 0; i < VOTES; i += 1000) {
    await journal.appendBatch(
      Array.from({ length: Math.min(1000, VOTES - i) }, (_, j) => voteOf(i + j)),
    );
  }
  await journal.append(serializeVote({ assertion: SINGLE, voter: "solo", value: 1, timestamp: 0 }));
  await journal.close();
}
const journal = await Journal.open(journalDir, { readOnly: true });
const recorded: Op[][] = [];
await ingestInto(journal, `${root}/record.sqlite`, (kv) => recordingKv(kv, recorded));
const ops = recorded.flat();
const sets = ops.filter((o) => o.kind === "set").length;
console.log(
  `   mutations the ingestor commits: ${ops.length.toLocaleString("en-US")} ` +
    `(${sets.toLocaleString("en-US")} sets, ${(ops.length - sets).toLocaleString("en-US")} sums)`,
);

const ingestRuns: number[] = [];
const peerRuns: number[] = [];
let commits = 0;
for (let trial = 0; trial < TRIALS; trial++) {
  {
    const kv = await Deno.openKv(`${root}/peer-${trial}.sqlite`);
    const t0 = performance.now();
    for (const group of recorded) {
      const op = kv.atomic();
      for (const o of group) {
        if (o.kind === "set") op.set(o.key, o.value);
        else op.mutate({ type: "sum", key: o.key, value: o.value });
      }
      if (!(await op.commit()).ok) throw new Error("Cannot write peer batch: commit failed");
    }
    peerRuns.push(performance.now() - t0);
    kv.close();
  }
  const run = await ingestInto(journal, `${root}/ingest-${trial}.sqlite`);
  ingestRuns.push(run.ms);
  commits = run.commits;
}
const ingestMs = median(ingestRuns);
const peerMs = median(peerRuns);
const ratio = peerMs / ingestMs;
console.log(
  `   ingestor: ${rate(VOTES + 1, ingestMs)} (${ingestMs.toFixed(0)} ms, ${commits} commits; ` +
    `trials ${ingestRuns.map((t) => t.toFixed(0)).join("/")} ms)`,
);
console.log(
  `   peer (the same mutations straight into Deno KV, in the same commits): ${
    rate(VOTES + 1, peerMs)
  } (${peerMs.toFixed(0)} ms; trials ${peerRuns.map((t) => t.toFixed(0)).join("/")} ms)`,
);
console.log(`   ratio: ${ratio.toFixed(2)}× the peer (target ≥ 0.80×)`);
results.push({
  key: "tally-ingest",
  path: `vote ingest of ${
    VOTES.toLocaleString("en-US")
  } votes vs the same mutations straight into KV`,
  figure: rate(VOTES + 1, ingestMs),
  peer: `the same mutations in the same commits: ${rate(VOTES + 1, peerMs)}`,
  ratio,
  compare: ">=",
  target: 0.8,
});

// ---------------------------------------------------------------- 2. tally read
{
  const store = await KvStore.open(`${root}/ingest-0.sqlite`);
  const hot = await store.tally(HOT);
  console.log(
    `\n2. Tally read: ${hot.count.toLocaleString("en-US")} voters, ` +
      `${(VOTES / 2).toLocaleString("en-US")} votes vs 1 vote, ${READ_ROUNDS} interleaved rounds`,
  );
  const hotTimes: number[] = [];
  const singleTimes: number[] = [];
  for (let i = 0; i < READ_ROUNDS; i++) {
    for (
      const [hash, out] of i % 2 === 0
        ? [[HOT, hotTimes], [SINGLE, singleTimes]] as const
        : [[SINGLE, singleTimes], [HOT, hotTimes]] as const
    ) {
      const t0 = performance.now();
      await store.tally(hash);
      out.push(performance.now() - t0);
    }
  }
  store.close();
  const hotMs = median(hotTimes);
  const singleMs = median(singleTimes);
  const readRatio = hotMs / singleMs;
  console.log(
    `   ${(VOTES / 2).toLocaleString("en-US")} votes: median ${(hotMs * 1000).toFixed(1)} µs`,
  );
  console.log(`   1 vote: median ${(singleMs * 1000).toFixed(1)} µs`);
  console.log(`   ratio: ${readRatio.toFixed(2)} (target ≤ 1.25, the same within noise)`);
  results.push({
    key: "tally-read",
    path: `tally() of ${(VOTES / 2).toLocaleString("en-US")} votes vs of 1 vote`,
    figure: `${(hotMs * 1000).toFixed(1)} µs`,
    peer: `tally() of 1 vote: ${(singleMs * 1000).toFixed(1)} µs`,
    ratio: readRatio,
    compare: "<=",
    target: 1.25,
  });
}

await journal.close();
await Deno.remove(root, { recursive: true });
await reportTargets(results);
