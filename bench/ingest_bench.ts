/**
 * Ingestor benchmark, one run, three comparisons:
 *
 * 1. Throughput: 100,000 assertions from a prepared journal into a fresh
 *    Deno KV, against the ceiling — the same mutations (the store's own plans,
 *    computed untimed beforehand) written straight into a fresh Deno KV in
 *    1,000-mutation atomic commits. Target ≥ 0.8× the ceiling.
 * 2. End to end, "append until queryable": N assertions submitted with up to
 *    64 in flight, timed from the first submission until the last record is
 *    queryable (records/s = N / that time); against Deno KV's own queue:
 *    `kv.enqueue()` of each payload, and a `kv.listenQueue()` handler that
 *    writes the same keys (`H` and `S`) in one atomic commit per message.
 *    Also the median latency of one record submitted alone. Target ≥ 100×
 *    the queue's throughput.
 * 3. Memory: RSS (`Deno.memoryUsage().rss`, sampled every 20 ms) while the
 *    ingestor works through a 1 GiB log, printed at each tenth of the log:
 *    it must stay flat (peak − start well under the log size; we require
 *    < 128 MiB, i.e. bounded by the batch size, not the log).
 *
 * Usage: `deno run -A bench/ingest_bench.ts [--quick]` (quick: 20,000
 * records, 500 end-to-end, 128 MiB log). Prints PASS/FAIL per target and
 * exits 0 either way. `--only throughput|e2e|memory` runs one case;
 * `--log-mib N` sizes the memory case's log.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Journal } from "../src/wal/mod.ts";
import { contentHash, serializeAssertion } from "../src/records/mod.ts";
import { type KvSet, KvStore } from "../src/store/mod.ts";
import { Ingestor } from "../src/ingest/mod.ts";

const { values: flags, positionals } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean" },
    "memory-child": { type: "boolean" },
    "log-mib": { type: "string" },
    only: { type: "string" },
  },
  allowPositionals: true,
});
if (flags["memory-child"]) {
  await memoryChild(positionals[0], positionals[1], positionals[2]);
  Deno.exit(0);
}
const quick = flags.quick ?? false;
const THROUGHPUT_RECORDS = quick ? 20_000 : 100_000;
const E2E_RECORDS = quick ? 500 : 2_000;
const E2E_IN_FLIGHT = 64;
/** Interleaved trials of case 1; the best of each side counts (least disturbed by other load). */
const TRIALS = 3;
const LATENCY_SAMPLES = quick ? 10 : 20;
const MEMORY_LOG_BYTES = flags["log-mib"] !== undefined
  ? Number(flags["log-mib"]) * 1024 ** 2
  : quick
  ? 128 * 1024 ** 2
  : 1024 ** 3;
const MiB = 1024 ** 2;

const root = await Deno.makeTempDir({ prefix: "stemedb-ingest-bench-" });
const results: { name: string; pass: boolean; detail: string }[] = [];
/** Records/s of raw batched Deno KV writes (case 1): what any ingest path into this KV is bounded by. */
let ceilingRate = NaN;

function payloadOf(i: number, object: string = `object-${i}`): Uint8Array {
  return serializeAssertion({
    subject: `subject-${i % 1000}`,
    predicate: "benchmarks",
    object,
    source: "ingest_bench",
    confidence: 0.75,
    timestamp: 1_700_000_000_000 + i,
  });
}

function rate(n: number, ms: number): string {
  return `${Math.round(n / (ms / 1000)).toLocaleString("en-US")} records/s`;
}

/** Fill `dir` with `n` records from `make`, fast (durability "none": the bench times reading). */
async function prepareJournal(
  dir: string,
  n: number,
  make: (i: number) => Uint8Array,
  batch = 1000,
) {
  const journal = await Journal.open(dir, { durability: "none" });
  for (let i = 0; i < n; i += batch) {
    await journal.appendBatch(
      Array.from({ length: Math.min(batch, n - i) }, (_, j) => make(i + j)),
    );
  }
  await journal.close();
}

// ---------------------------------------------------------------- 1. throughput
async function throughput(): Promise<void> {
  console.log(`\n1. Ingest throughput, ${THROUGHPUT_RECORDS.toLocaleString("en-US")} assertions`);
  const journalDir = `${root}/tp-wal`;
  await prepareJournal(journalDir, THROUGHPUT_RECORDS, (i) => payloadOf(i));
  const journal = await Journal.open(journalDir, { readOnly: true });

  // The ceiling's mutations: exactly the sets the ingestor writes, planned untimed.
  const planner = await KvStore.open(":memory:");
  const sets: KvSet[] = [];
  for await (const rec of journal.readFrom(journal.firstOffset)) {
    const plan = planner.recordMutations(rec.payload, rec.digest);
    if (plan.ok) sets.push(...plan.sets);
  }
  planner.close();

  const ingestRuns: number[] = [];
  const ceilingRuns: number[] = [];
  let commits = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    {
      const kv = await Deno.openKv(`${root}/tp-ceiling-${trial}.sqlite`);
      const t0 = performance.now();
      for (let i = 0; i < sets.length; i += 1000) {
        const op = kv.atomic();
        for (const s of sets.slice(i, i + 1000)) op.set(s.key, s.value);
        const r = await op.commit();
        if (!r.ok) throw new Error("Cannot write ceiling batch: commit failed");
      }
      ceilingRuns.push(performance.now() - t0);
      kv.close();
    }
    {
      const store = await KvStore.open(`${root}/tp-ingest-${trial}.sqlite`);
      const t0 = performance.now();
      const report = await new Ingestor(journal, store).runOnce();
      ingestRuns.push(performance.now() - t0);
      if (report.applied !== THROUGHPUT_RECORDS) {
        throw new Error(`Cannot trust the run: applied ${report.applied} of ${THROUGHPUT_RECORDS}`);
      }
      commits = report.commits;
      store.close();
    }
  }
  await journal.close();
  const ingestMs = Math.min(...ingestRuns);
  const ceilingMs = Math.min(...ceilingRuns);
  const ratio = ceilingMs / ingestMs;
  console.log(
    `   ingestor: ${rate(THROUGHPUT_RECORDS, ingestMs)} (${
      ingestMs.toFixed(0)
    } ms, ${commits} commits; ` +
      `trials ${ingestRuns.map((t) => t.toFixed(0)).join("/")} ms)`,
  );
  console.log(
    `   ceiling (raw Deno KV, 1,000-mutation commits): ${rate(THROUGHPUT_RECORDS, ceilingMs)} ` +
      `(${ceilingMs.toFixed(0)} ms, ${Math.ceil(sets.length / 1000)} commits; ` +
      `trials ${ceilingRuns.map((t) => t.toFixed(0)).join("/")} ms)`,
  );
  console.log(`   ratio: ${ratio.toFixed(2)}× the ceiling (target ≥ 0.80×)`);
  results.push({
    name: "throughput ≥ 0.8× raw KV",
    pass: ratio >= 0.8,
    detail: `${ratio.toFixed(2)}×`,
  });
  ceilingRate = THROUGHPUT_RECORDS / (ceilingMs / 1000);
}

// ---------------------------------------------------------------- 2. end to end
async function pooled(n: number, inFlight: number, task: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < n) await task(next++);
  }));
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 1));
}

async function endToEnd(): Promise<void> {
  console.log(
    `\n2. End to end (append until queryable), ${E2E_RECORDS} assertions, ${E2E_IN_FLIGHT} in flight`,
  );
  const payloads = Array.from({ length: E2E_RECORDS }, (_, i) => payloadOf(i, `e2e-${i}`));
  const lastHash = await contentHash(payloads.at(-1)!);
  const latencyPayloads = Array.from(
    { length: LATENCY_SAMPLES },
    (_, i) => payloadOf(i, `lat-${i}`),
  );
  const latencyHashes = await Promise.all(latencyPayloads.map((p) => contentHash(p)));

  // The ingestor: journal (durable appends) → background ingestor → KV.
  const journal = await Journal.open(`${root}/e2e-wal`);
  const store = await KvStore.open(`${root}/e2e-ingest.sqlite`);
  const ingestor = new Ingestor(journal, store, { pollIntervalMs: 250 });
  ingestor.start();
  const latIngest: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const t0 = performance.now();
    await journal.append(latencyPayloads[i]);
    await waitUntil(async () => (await store.getAssertion(latencyHashes[i])) !== null);
    latIngest.push(performance.now() - t0);
  }
  const t0 = performance.now();
  await pooled(E2E_RECORDS, E2E_IN_FLIGHT, (i) => journal.append(payloads[i]));
  const appendMs = performance.now() - t0;
  await waitUntil(async () =>
    (await store.readCursor(journal.id)).offset === journal.durableOffset
  );
  const ingestMs = performance.now() - t0;
  if ((await store.getAssertion(lastHash)) === null) throw new Error("Cannot find the last record");
  await ingestor.stop();
  store.close();
  await journal.close();

  // Deno KV's queue: enqueue → listenQueue handler writes H and S → queryable.
  const kv = await Deno.openKv(`${root}/e2e-queue.sqlite`);
  const planner = await KvStore.open(kv);
  let written = 0;
  const listening = kv.listenQueue(async (msg) => {
    const payload = msg as Uint8Array;
    const hash = await contentHash(payload);
    const plan = planner.recordMutations(payload, hexBytes(hash));
    if (!plan.ok) throw new Error(`Cannot apply queued record: ${plan.reason}`);
    const op = kv.atomic();
    for (const s of plan.sets) op.set(s.key, s.value);
    await op.commit();
    written++;
  });
  const latQueue: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const t = performance.now();
    await kv.enqueue(latencyPayloads[i]);
    await waitUntil(async () => (await planner.getAssertion(latencyHashes[i])) !== null);
    latQueue.push(performance.now() - t);
  }
  const before = written;
  const q0 = performance.now();
  await pooled(E2E_RECORDS, E2E_IN_FLIGHT, (i) => kv.enqueue(payloads[i]));
  const enqueueMs = performance.now() - q0;
  await waitUntil(() => Promise.resolve(written - before >= E2E_RECORDS));
  const queueMs = performance.now() - q0;
  if ((await planner.getAssertion(lastHash)) === null) {
    throw new Error("Cannot find the last record");
  }
  // The same records' keys written straight into a fresh KV: what any path
  // that makes them queryable in this KV costs at least, appends not counted.
  const sets: KvSet[] = [];
  for (const payload of payloads) {
    const plan = planner.recordMutations(payload, hexBytes(await contentHash(payload)));
    if (plan.ok) sets.push(...plan.sets);
  }
  kv.close();
  await listening.catch(() => {});
  const raw = await Deno.openKv(`${root}/e2e-raw.sqlite`);
  const r0 = performance.now();
  for (let i = 0; i < sets.length; i += 1000) {
    const op = raw.atomic();
    for (const set of sets.slice(i, i + 1000)) op.set(set.key, set.value);
    if (!(await op.commit()).ok) throw new Error("Cannot write the raw e2e batch: commit failed");
  }
  const rawMs = performance.now() - r0;
  raw.close();

  const ratio = queueMs / ingestMs;
  console.log(
    `   ingestor: ${rate(E2E_RECORDS, ingestMs)} (${ingestMs.toFixed(0)} ms); ` +
      `one record alone: median ${median(latIngest).toFixed(1)} ms\n` +
      `     (durable appends done after ${appendMs.toFixed(0)} ms; last record queryable ` +
      `${(ingestMs - appendMs).toFixed(0)} ms later)`,
  );
  console.log(
    `   Deno KV queue: ${rate(E2E_RECORDS, queueMs)} (${queueMs.toFixed(0)} ms); ` +
      `one record alone: median ${median(latQueue).toFixed(1)} ms\n` +
      `     (enqueues done after ${enqueueMs.toFixed(0)} ms; last record queryable ` +
      `${(queueMs - enqueueMs).toFixed(0)} ms later)`,
  );
  console.log(
    `   ratio: ${ratio.toFixed(1)}× the queue's throughput (target ≥ 100×); latency ` +
      `${(median(latQueue) / median(latIngest)).toFixed(1)}× lower`,
  );
  console.log(
    `   bound: the same ${E2E_RECORDS} records' keys written straight into a fresh KV in ` +
      `1,000-mutation commits take ${rawMs.toFixed(0)} ms (${rate(E2E_RECORDS, rawMs)}), ` +
      `${(queueMs / rawMs).toFixed(1)}× the queue: no path that makes them queryable in this ` +
      `KV gets past that, even with free appends`,
  );
  if (!Number.isNaN(ceilingRate)) {
    const bound = ceilingRate / (E2E_RECORDS / (queueMs / 1000));
    console.log(
      `   at scale: raw batched KV writes (case 1) reach ${Math.round(ceilingRate)} records/s, ` +
        `${bound.toFixed(1)}× the queue`,
    );
  }
  results.push({
    name: "end to end ≥ 100× KV queue",
    pass: ratio >= 100,
    detail: `${ratio.toFixed(1)}×`,
  });
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// ---------------------------------------------------------------- 3. memory
/**
 * The measured side of the memory case, run in a child process so its RSS
 * starts from a fresh Deno with the modules loaded, not from the leftovers of
 * the other cases or of writing the log. Mode "ingestor" runs the Ingestor in
 * tenths of the log; mode "raw" is the baseline: the same records read,
 * planned and written in plain atomic commits of the same size, without the
 * Ingestor. Prints one JSON line.
 */
async function memoryChild(journalDir: string, kvPath: string, mode: string): Promise<void> {
  const journal = await Journal.open(journalDir, { readOnly: true });
  const store = await KvStore.open(kvPath);
  const records = Number(Deno.env.get("BENCH_RECORDS"));
  const tenth = Math.ceil(records / 10);
  const ingestor = new Ingestor(journal, store);
  const raw = rawWriter(journal, store);
  const step = mode === "raw"
    ? () => raw(tenth)
    : async () => (await ingestor.runOnce({ maxRecords: tenth })).applied;
  const rss = () => Deno.memoryUsage().rss;
  const start = rss();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, rss());
  }, 20);
  const t0 = performance.now();
  let applied = 0;
  const tenths: number[] = [];
  const heaps: number[] = [];
  const heapTotals: number[] = [];
  const kinds: string[] = [];
  while (applied < records) {
    const n = await step();
    if (n === 0) break;
    applied += n;
    peak = Math.max(peak, rss());
    tenths.push(rss());
    const usage = Deno.memoryUsage();
    heaps.push(usage.heapUsed + usage.external);
    heapTotals.push(usage.heapTotal);
    kinds.push(rssKinds());
  }
  const ms = performance.now() - t0;
  clearInterval(timer);
  store.close();
  await journal.close();
  console.log(
    JSON.stringify({ start, peak, end: rss(), tenths, heaps, heapTotals, kinds, applied, ms }),
  );
}

/** The baseline writer: `n` more records per call, read, planned and committed plainly. */
function rawWriter(journal: Journal, store: KvStore): (n: number) => Promise<number> {
  const records = journal.readFrom(journal.firstOffset);
  return async (n) => {
    let done = 0;
    let sets: KvSet[] = [];
    let bytes = 0;
    const flush = async () => {
      const op = store.kv.atomic();
      for (const s of sets) op.set(s.key, s.value);
      await op.commit();
      sets = [];
      bytes = 0;
    };
    while (done < n) {
      const next = await records.next();
      if (next.done) break;
      const plan = store.recordMutations(next.value.payload, next.value.digest);
      if (!plan.ok) continue;
      const size = plan.sets.reduce((sum, s) => sum + s.bytes, 0);
      if (sets.length + plan.sets.length > 998 || bytes + size > 780_000) await flush();
      sets.push(...plan.sets);
      bytes += size;
      done++;
    }
    if (sets.length > 0) await flush();
    return done;
  };
}

/** Linux: anonymous vs file-backed resident memory, from /proc/self/status ("" elsewhere). */
function rssKinds(): string {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const kb = (name: string) => Number(status.match(new RegExp(`${name}:\\s+(\\d+)`))?.[1] ?? NaN);
    return `${(kb("RssAnon") / 1024).toFixed(0)}/${(kb("RssFile") / 1024).toFixed(0)}`;
  } catch {
    return "";
  }
}

/** What a memory child reports. */
interface MemoryRun {
  start: number;
  peak: number;
  end: number;
  tenths: number[];
  heaps: number[];
  heapTotals: number[];
  kinds: string[];
  applied: number;
  ms: number;
}

async function memory(): Promise<void> {
  const big = "m".repeat(60_000);
  const sample = payloadOf(0, big);
  const records = Math.ceil(MEMORY_LOG_BYTES / (sample.length + 40));
  console.log(
    `\n3. Peak memory through a ${(MEMORY_LOG_BYTES / MiB).toFixed(0)} MiB log ` +
      `(${records.toLocaleString("en-US")} records of ${
        sample.length.toLocaleString("en-US")
      } bytes), ` +
      `ingestor in a fresh process`,
  );
  const journalDir = `${root}/mem-wal`;
  await prepareJournal(journalDir, records, (i) => payloadOf(i, `${big}${i}`), 16);
  const mib = (n: number) => (n / MiB).toFixed(0);
  const runs: Record<string, MemoryRun> = {};
  for (const mode of ["ingestor", "raw"]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL(import.meta.url).pathname,
        "--memory-child",
        journalDir,
        `${root}/mem-${mode}.sqlite`,
        mode,
      ],
      env: { BENCH_RECORDS: String(records) },
      stderr: "inherit",
    }).output();
    if (!out.success) {
      throw new Error(`Cannot run the memory case "${mode}": child exited ${out.code}`);
    }
    const m: MemoryRun = JSON.parse(
      new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!,
    );
    runs[mode] = m;
    const label = mode === "raw" ? "baseline (plain commits, no Ingestor)" : "ingestor";
    console.log(`   ${label}:`);
    console.log(`     RSS MiB after each tenth: ${m.tenths.map(mib).join(", ")}`);
    if (m.kinds[0] !== "") {
      console.log(`     RSS anonymous/file-backed MiB after each tenth: ${m.kinds.join(", ")}`);
    }
    console.log(
      `     V8 heap used + external (heap total) MiB after each tenth: ${
        m.heaps.map((h, i) => `${mib(h)} (${mib(m.heapTotals[i])})`).join(", ")
      }`,
    );
    const speed = `${rate(m.applied, m.ms)}, ${
      (MEMORY_LOG_BYTES / MiB / (m.ms / 1000)).toFixed(0)
    } MiB/s`;
    console.log(
      `     RSS start ${mib(m.start)} MiB, peak ${mib(m.peak)} MiB, end ${mib(m.end)} MiB ` +
        `(peak − start ${mib(m.peak - m.start)} MiB); ${m.applied} records, ${speed}`,
    );
  }
  const m = runs.ingestor;
  const growth = m.peak - m.start;
  results.push({
    name: "memory flat through the log",
    pass: growth < 128 * MiB && m.applied === records,
    detail: `peak − start ${mib(growth)} MiB over ${mib(MEMORY_LOG_BYTES)} MiB (limit 128 MiB; ` +
      `baseline without the Ingestor ${mib(runs.raw.peak - runs.raw.start)} MiB)`,
  });
}

try {
  console.log(`stemedb ingest benchmark${quick ? " (quick)" : ""}, Deno ${Deno.version.deno}`);
  const only = flags.only;
  if (only === undefined || only === "throughput") await throughput();
  if (only === undefined || only === "e2e") await endToEnd();
  if (only === undefined || only === "memory") await memory();
  console.log("\nTargets:");
  for (const r of results) console.log(`   ${r.pass ? "PASS" : "FAIL"}  ${r.name}: ${r.detail}`);
} finally {
  await Deno.remove(root, { recursive: true });
}
