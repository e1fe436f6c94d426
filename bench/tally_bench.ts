/**
 * Consensus benchmark, one run, two comparisons:
 *
 * 1. Vote ingest throughput with winners and materialized tallies: N votes
 *    from a prepared journal — half on one hot assertion, half spread over
 *    1,000 others, every voter voting several times with shuffled timestamps
 *    so winners keep changing — against the peer: the very mutations the
 *    ingestor committed (recorded in an untimed run: vote, index, winner,
 *    guard, cursor and layout sets, tally sums) written straight into a fresh
 *    Deno KV in the same atomic commits, with no reads and no checks. Three
 *    cases: into a fresh store (the ingestor knows every shard empty and
 *    reads no winner); into a store that already holds a winner on an
 *    assertion no vote is on (`SEED`: no shard is known empty, so the
 *    ingestor reads each assertion's winner count once, finds none, and
 *    from then on knows all its winners); and into a store where every
 *    assertion the votes are on already holds a winner of another voter
 *    (each voter's winner is read the first time it is met: reads no
 *    ingestor can skip). The seeded cases commit the very same mutations as
 *    the fresh one (the seed's voter votes nowhere else), so the peer is one.
 *    Interleaved rounds (each side once per round, the order alternating);
 *    a ratio is the median of the per-round ratios. Target ≥ 0.8× the peer.
 *    Beside each seeded case, what bounds it: the same commits plus the
 *    reads the ingestor issues into that store (recorded in an untimed run),
 *    each commit's reads issued at once while the commit before it is in
 *    flight (the ingestor issues a winner read only after the count read it
 *    depends on, so the bound is the more generous); Deno KV's SQLite
 *    backend serves reads and commits on one thread, so reads add to the
 *    commits' time.
 * 2. Tally read: `store.tally()` of the hot assertion (100,000 votes in the
 *    full run) against an assertion with 1 vote, in interleaved rounds;
 *    medians. Target: the same time within noise (ratio ≤ 1.25).
 *
 * Usage: `deno run -A bench/tally_bench.ts [--quick] [--rounds N]` (quick:
 * 20,000 votes). Prints PASS/FAIL per target and exits 0 either way.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Journal } from "../src/wal/mod.ts";
import { serializeVote } from "../src/records/mod.ts";
import { KvStore } from "../src/store/mod.ts";
import { TALLY_PART } from "../src/store/keys.ts";
import { Ingestor } from "../src/ingest/mod.ts";
import { reportTargets, type TargetRow } from "./_targets.ts";
import {
  readRecordingKv,
  type RecordedOp,
  type RecordedRead,
  recordingKv,
  replayCommits,
} from "./_ingest_common.ts";
import { median } from "./wal_measure.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: { quick: { type: "boolean" }, rounds: { type: "string" } },
});
const quick = flags.quick ?? false;
const VOTES = quick ? 20_000 : 200_000;
const SPREAD = 1_000;
const VOTES_PER_VOTER = 4;
const ROUNDS = flags.rounds !== undefined ? Number(flags.rounds) : 5;
const READ_ROUNDS = quick ? 200 : 1_000;

const HOT = "ab".repeat(32);
const SINGLE = "cd".repeat(32);
/** Voted on before the timed run in the "store not empty" case: in no shard's way. */
const SEED = "ef".repeat(32);
const spreadHash = (i: number) => i.toString(16).padStart(64, "0");

const root = await Deno.makeTempDir({ prefix: "stemedb-tally-bench-" });
const results: TargetRow[] = [];

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

/**
 * What a store holds before the timed run: nothing; one winner on `SEED`, so
 * the ingestor cannot know it empty; or a winner on every assertion the votes
 * are on (but `SINGLE`), by a voter who casts none of them.
 */
type Seed = "none" | "elsewhere" | "on-voted";

/** The assertions whose winners the `seed` case stores. */
function seededAssertions(seed: Seed): string[] {
  if (seed === "none") return [];
  if (seed === "elsewhere") return [SEED];
  return [HOT, ...Array.from({ length: SPREAD }, (_, i) => spreadHash(i))];
}

/** A KV at `path`, holding the winners of `seed`. */
async function openKv(path: string, seed: Seed): Promise<Deno.Kv> {
  const kv = await Deno.openKv(path);
  const assertions = seededAssertions(seed);
  if (assertions.length > 0) {
    const store = await KvStore.open(kv);
    const dir = await Deno.makeTempDir({ dir: root });
    const journal = await Journal.open(dir, { durability: "none" });
    await journal.appendBatch(
      assertions.map((assertion) =>
        serializeVote({ assertion, voter: "seed", value: 1, timestamp: 0 })
      ),
    );
    await new Ingestor(journal, store).runOnce();
    await journal.close();
    store.close();
  }
  return kv;
}

async function ingestInto(
  journal: Journal,
  kv: Deno.Kv,
): Promise<{ ms: number; commits: number }> {
  const store = await KvStore.open(kv);
  try {
    const t0 = performance.now();
    const report = await new Ingestor(journal, store).runOnce();
    const ms = performance.now() - t0;
    if (report.applied !== VOTES + 1) {
      throw new Error(`Cannot trust the run: applied ${report.applied} of ${VOTES + 1}`);
    }
    return { ms, commits: report.commits };
  } finally {
    store.close();
  }
}

// ---------------------------------------------------------------- 1. throughput
console.log(
  `\n1. Vote ingest throughput, ${VOTES.toLocaleString("en-US")} votes + 1, ` +
    `${ROUNDS} interleaved rounds`,
);
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
const recorded: RecordedOp[][] = [];
{
  const kv = await openKv(`${root}/record.sqlite`, "none");
  await ingestInto(journal, recordingKv(kv, recorded));
  kv.close();
}
/** The seeded cases: what the store holds, and the reads the ingestor issues into it. */
const seededCases = [
  { seed: "elsewhere", label: "into a store already holding a winner elsewhere" },
  {
    seed: "on-voted",
    label: "into a store already holding a winner on every assertion voted on",
  },
] as const;
const reads: Record<(typeof seededCases)[number]["seed"], RecordedRead[]> = {
  elsewhere: [],
  "on-voted": [],
};
/** Keys in `reads`, and of them tally counters (winner counts). */
const readKeys = (rs: readonly RecordedRead[]) => rs.reduce((n, r) => n + r.keys.length, 0);
const countKeys = (rs: readonly RecordedRead[]) =>
  rs.reduce((n, r) => n + r.keys.filter((k) => k.includes(TALLY_PART)).length, 0);
for (const { seed, label } of seededCases) {
  // Recorded in an untimed run.
  const kv = await openKv(`${root}/record-${seed}.sqlite`, seed);
  await ingestInto(journal, readRecordingKv(kv, reads[seed]));
  kv.close();
  console.log(
    `   reads the ingestor issues ${label}: ${readKeys(reads[seed]).toLocaleString("en-US")} ` +
      `keys (${countKeys(reads[seed]).toLocaleString("en-US")} of them winner counts) in ` +
      `${reads[seed].length.toLocaleString("en-US")} getMany calls`,
  );
}
const ops = recorded.flat();
const sets = ops.filter((o) => o.kind === "set").length;
console.log(
  `   mutations the ingestor commits: ${ops.length.toLocaleString("en-US")} ` +
    `(${sets.toLocaleString("en-US")} sets, ${(ops.length - sets).toLocaleString("en-US")} sums) ` +
    `in ${recorded.length} commits`,
);

type Side = "peer" | "fresh" | "elsewhere" | "bound-elsewhere" | "on-voted" | "bound-on-voted";
const ms: Record<Side, number[]> = {
  peer: [],
  fresh: [],
  elsewhere: [],
  "bound-elsewhere": [],
  "on-voted": [],
  "bound-on-voted": [],
};
let commits = 0;
let file = 0;
/** A store the fresh case ingested, for the tally reads. */
let ingested = "";
/** The peer's commits (with `reads`, the bound's) into a store holding `seed`. */
const replaySide = (seed: Seed, withReads: readonly RecordedRead[] = []) => async () => {
  const kv = await openKv(`${root}/kv-${file++}.sqlite`, seed);
  try {
    const t0 = performance.now();
    await replayCommits(kv, recorded, withReads);
    return performance.now() - t0;
  } finally {
    kv.close();
  }
};
/** The ingestor into a store holding `seed`. */
const ingestSide = (seed: Seed) => async () => {
  const path = `${root}/kv-${file++}.sqlite`;
  const kv = await openKv(path, seed);
  try {
    const run = await ingestInto(journal, kv);
    if (seed === "none") ingested = path;
    commits = run.commits;
    return run.ms;
  } finally {
    kv.close();
  }
};
const sides: Record<Side, () => Promise<number>> = {
  peer: replaySide("none"),
  fresh: ingestSide("none"),
  elsewhere: ingestSide("elsewhere"),
  "bound-elsewhere": replaySide("elsewhere", reads.elsewhere),
  "on-voted": ingestSide("on-voted"),
  "bound-on-voted": replaySide("on-voted", reads["on-voted"]),
};
for (let round = 0; round < ROUNDS; round++) {
  const order = Object.keys(sides) as Side[];
  if (round % 2 === 1) order.reverse();
  for (const side of order) {
    const took = await sides[side]();
    ms[side].push(took);
    console.error(`  round ${round + 1}: ${side}: ${took.toFixed(0)} ms`);
  }
}
const trials = (xs: number[]) => xs.map((t) => t.toFixed(0)).join("/");
/** Median over rounds of peer / subject: the subject's speed relative to the peer. */
const ratioOf = (subject: number[]) => median(subject.map((t, i) => ms.peer[i] / t));
const peerMs = median(ms.peer);
console.log(
  `   peer (the same mutations straight into Deno KV, in the same commits): ${
    rate(VOTES + 1, peerMs)
  } (${peerMs.toFixed(0)} ms; rounds ${trials(ms.peer)} ms)`,
);
for (
  const [side, label] of [
    ["fresh", "into a fresh store"],
    ...seededCases.map((c) => [c.seed, c.label] as const),
  ] as const
) {
  const sideMs = median(ms[side]);
  const ratio = ratioOf(ms[side]);
  console.log(
    `   ingestor ${label}: ${rate(VOTES + 1, sideMs)} (${sideMs.toFixed(0)} ms, ` +
      `${commits} commits; rounds ${trials(ms[side])} ms): ${ratio.toFixed(2)}× the peer ` +
      `(target ≥ 0.80×)`,
  );
  results.push({
    key: `tally-ingest-${side}`,
    path: `vote ingest of ${
      VOTES.toLocaleString("en-US")
    } votes ${label} vs the same mutations straight into KV`,
    figure: rate(VOTES + 1, sideMs),
    peer: `the same mutations in the same commits: ${rate(VOTES + 1, peerMs)}`,
    ratio,
    compare: ">=",
    target: 0.8,
  });
}
for (const { seed, label } of seededCases) {
  // What bounds a seeded case: no ingestor that issues those reads can beat the peer
  // committing the same mutations with the same reads issued where the ingestor issues them.
  const bound = ms[`bound-${seed}`];
  const boundMs = median(bound);
  const ofBound = median(ms[seed].map((t, i) => bound[i] / t));
  console.log(
    `   bound of the case ${label} (the same mutations and commits, plus the ${
      readKeys(reads[seed]).toLocaleString("en-US")
    } keys the ingestor reads there, each commit's reads issued at once while the commit ` +
      `before it is in flight): ${rate(VOTES + 1, boundMs)} (${boundMs.toFixed(0)} ms; rounds ${
        trials(bound)
      } ms): ${ratioOf(bound).toFixed(2)}× the peer; the ingestor reaches ` +
      `${ofBound.toFixed(2)}× it`,
  );
}

// ---------------------------------------------------------------- 2. tally read
{
  const store = await KvStore.open(ingested);
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
