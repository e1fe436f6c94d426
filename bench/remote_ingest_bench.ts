/**
 * Ingest throughput through a remote Deno KV at added latency per call.
 *
 * The same prepared journal of assertions is ingested (one `runOnce()` from
 * an empty KV) into: a local SQLite KV, and a remote KV behind the KV Connect
 * test server (`tests/support/kv_connect/`, backed by a real Deno KV, spoken
 * to by Deno's own remote client) that waits 0, 5, 20 or 100 ms before each
 * call. Cases are interleaved round by round and each figure is the median
 * of its rounds. Target: at 20 ms per call, at least 0.8× the 0 ms remote rate.
 *
 * Usage: `deno run -A bench/remote_ingest_bench.ts [--quick] [--records N] [--rounds N]`.
 * Prints PASS/FAIL and exits 0 either way.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Journal } from "../src/wal/mod.ts";
import { serializeAssertion } from "../src/records/mod.ts";
import { KvStore } from "../src/store/mod.ts";
import { Ingestor } from "../src/ingest/mod.ts";
import { reportTargets } from "./_targets.ts";
import { startKvConnectServer } from "../tests/support/kv_connect/mod.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean" },
    records: { type: "string" },
    rounds: { type: "string" },
  },
});
const RECORDS = Number(flags.records ?? (flags.quick ? 10_000 : 40_000));
const ROUNDS = Number(flags.rounds ?? (flags.quick ? 3 : 5));
const LATENCIES_MS = [0, 5, 20, 100];

const root = await Deno.makeTempDir({ prefix: "stemedb-remote-bench-" });
const journalDir = `${root}/wal`;
{
  const journal = await Journal.open(journalDir, { durability: "none" });
  for (let i = 0; i < RECORDS; i += 1000) {
    await journal.appendBatch(
      Array.from({ length: Math.min(1000, RECORDS - i) }, (_, j) =>
        serializeAssertion({
          subject: `subject-${(i + j) % 1000}`,
          predicate: "benchmarks",
          object: `object-${i + j}`,
          source: "remote_ingest_bench",
          confidence: 0.75,
          timestamp: 1_700_000_000_000 + i + j,
        })),
    );
  }
  await journal.close();
}
const journal = await Journal.open(journalDir, { readOnly: true });

/** One ingest of the whole journal into a fresh KV; its time in ms and commit count. */
async function ingestInto(store: KvStore): Promise<{ ms: number; commits: number }> {
  const t0 = performance.now();
  const report = await new Ingestor(journal, store).runOnce();
  const ms = performance.now() - t0;
  if (report.applied !== RECORDS || !report.caughtUp) {
    throw new Error(`Cannot trust the run: applied ${report.applied} of ${RECORDS}`);
  }
  return { ms, commits: report.commits };
}

async function local(round: number) {
  const store = await KvStore.open(`${root}/local-${round}.sqlite`);
  try {
    return await ingestInto(store);
  } finally {
    store.close();
  }
}

async function remote(latencyMs: number) {
  await using server = await startKvConnectServer();
  Deno.env.set("DENO_KV_ACCESS_TOKEN", server.token);
  const store = await KvStore.open(server.url);
  try {
    await store.readCursor(journal.id); // the metadata exchange, before latency applies
    if (latencyMs > 0) server.setFaults({ latency: { ms: latencyMs } });
    const run = await ingestInto(store);
    const calls = server.stats.requests.snapshot_read + server.stats.requests.atomic_write - 1;
    return { ...run, calls };
  } finally {
    store.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const localMs: number[] = [];
const remoteMs = new Map<number, number[]>(LATENCIES_MS.map((l) => [l, []]));
const shape = new Map<number, { commits: number; calls: number }>();
let localCommits = 0;
console.log(`Remote ingest: ${RECORDS.toLocaleString("en-US")} assertions, ${ROUNDS} rounds`);
for (let round = 0; round < ROUNDS; round++) {
  const l = await local(round);
  localMs.push(l.ms);
  localCommits = l.commits;
  for (const latency of LATENCIES_MS) {
    const r = await remote(latency);
    remoteMs.get(latency)!.push(r.ms);
    shape.set(latency, { commits: r.commits, calls: r.calls });
  }
}
await journal.close();
await Deno.remove(root, { recursive: true });

const perSecond = (ms: number) => RECORDS / (ms / 1000);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const base = perSecond(median(remoteMs.get(0)!));
const localRate = perSecond(median(localMs));
console.log(
  "\n| KV                       | records/s | vs remote 0 ms | vs local | commits | calls |",
);
console.log(
  "| ------------------------ | --------: | -------------: | -------: | ------: | ----: |",
);
console.log(
  `| local SQLite             | ${fmt(localRate)} | ${
    (localRate / base).toFixed(2)
  }× | 1.00× | ${localCommits} | |`,
);
for (const latency of LATENCIES_MS) {
  const r = perSecond(median(remoteMs.get(latency)!));
  const { commits, calls } = shape.get(latency)!;
  console.log(
    `| remote, +${latency} ms per call | ${fmt(r)} | ${(r / base).toFixed(2)}× | ${
      (r / localRate).toFixed(2)
    }× | ${commits} | ${calls} |`,
  );
}
const at20 = perSecond(median(remoteMs.get(20)!)) / base;
await reportTargets([{
  key: "remote-ingest-20ms",
  path: "ingest through a remote KV at +20 ms per call vs at +0 ms",
  figure: `${fmt(perSecond(median(remoteMs.get(20)!)))} rec/s`,
  peer: `remote at +0 ms: ${fmt(base)} rec/s`,
  ratio: at20,
  compare: ">=",
  target: 0.8,
}]);
