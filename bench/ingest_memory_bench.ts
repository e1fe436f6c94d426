/**
 * Case 3 of the ingest benchmark (`bench/ingest_bench.ts`): peak memory
 * while the Ingestor works through a large log, against plain commits of the
 * same records without it. Run as a main module, this file is the measured
 * child: `deno run -A bench/ingest_memory_bench.ts <journal> <kv> <mode>`.
 *
 * @module
 */
import { Journal } from "../src/wal/mod.ts";
import { type KvSet, KvStore } from "../src/store/mod.ts";
import { Ingestor } from "../src/ingest/mod.ts";
import { payloadOf, prepareJournal, rate } from "./_ingest_common.ts";
import type { TargetRow } from "./_targets.ts";

const MiB = 1024 ** 2;
/** Most RSS growth allowed while the Ingestor works through the log. */
const LIMIT_BYTES = 128 * MiB;

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

/**
 * Case 3 of the ingest benchmark: RSS while the Ingestor, in a fresh child
 * process, works through a log of `logBytes` written under `root`.
 */
export async function memory(root: string, logBytes: number): Promise<TargetRow> {
  const MEMORY_LOG_BYTES = logBytes;
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
  if (m.applied !== records) {
    throw new Error(`Cannot trust the memory run: applied ${m.applied} of ${records}`);
  }
  return {
    key: "ingest-memory",
    path: `RSS growth while the Ingestor works through a ${mib(MEMORY_LOG_BYTES)} MiB log`,
    figure: `peak − start ${mib(growth)} MiB`,
    peer: `the 128 MiB limit (without the Ingestor: ${mib(runs.raw.peak - runs.raw.start)} MiB)`,
    ratio: growth / LIMIT_BYTES,
    compare: "<=",
    target: 1,
  };
}

if (import.meta.main) await memoryChild(Deno.args[0], Deno.args[1], Deno.args[2]);
