/**
 * Write-ahead log benchmark: figures, not timed tests (the exit code is 0
 * whatever the figures are).
 *
 * In one run, durable appends of 256-byte payloads into temporary
 * directories on the same disk: one appender awaiting each append, 64
 * concurrent appenders, `appendBatch` of 1,000, a naive write + fdatasync
 * loop, 64 records per blocking write + fdatasync into preallocated space
 * (the disk's limit for 64 concurrent appenders), SQLite (WAL mode, `synchronous=FULL`) autocommit and 1,000-row
 * transactions. Then `Journal.open` on a 1 GiB journal against a full
 * `verifyJournal` scan of the same log.
 *
 * ```sh
 * deno run -A bench/wal_bench.ts            # full sizes
 * deno run -A bench/wal_bench.ts --quick    # a tenth of the sizes
 * deno run -A bench/wal_bench.ts --only=batch1000,sqlite1000 --trials=3
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Journal, type JournalOptions } from "../src/wal/mod.ts";
import {
  type BenchCase,
  type CaseResult,
  formatRate,
  measureCases,
  payloadPool,
} from "./wal_measure.ts";
import { groupedSyncCase, naiveCase, sqliteCase } from "./wal_peers.ts";
import { measureOpen, printOpenResult } from "./wal_open_bench.ts";

/** Case keys accepted by `--only`, in run order. */
const CASE_KEYS = [
  "single",
  "singleBlocking",
  "concurrent64",
  "concurrent64Blocking",
  "batch1000",
  "naive",
  "naiveBlocking",
  "grouped64",
  "sqlite1",
  "sqlite1000",
  "open",
] as const;
type CaseKey = typeof CASE_KEYS[number];

/** Records per timed trial at full size; `--quick` divides them by ten. */
const FULL_RECORDS: Record<Exclude<CaseKey, "open">, number> = {
  single: 10_000,
  singleBlocking: 10_000,
  concurrent64: 200_000,
  concurrent64Blocking: 200_000,
  batch1000: 1_000_000,
  naive: 10_000,
  naiveBlocking: 10_000,
  grouped64: 200_000,
  sqlite1: 10_000,
  sqlite1000: 1_000_000,
};

/** Size of the journal `Journal.open` is timed on. */
const FULL_OPEN_BYTES = 1024 * 1024 * 1024;

const CONCURRENT_TASKS = 64;
const BATCH_RECORDS = 1_000;

/** The journal options of the `…Blocking` cases: fdatasync on the event loop while it is quick. */
const BLOCKING: JournalOptions = { blockingSyncMs: 1 };

/** Suffix naming a case's non-default options. */
function optionsLabel(options: JournalOptions): string {
  return options.blockingSyncMs ? `, blockingSyncMs: ${options.blockingSyncMs}` : "";
}

/** One appender awaiting each durable append before the next. */
function singleCase(
  pool: Uint8Array[],
  records: number,
  warmup: number,
  options: JournalOptions = {},
): BenchCase {
  return {
    name: `journal: 1 appender${optionsLabel(options)}`,
    records,
    warmupRecords: warmup,
    async run(dir, n) {
      const journal = await Journal.open(dir, options);
      try {
        for (let i = 0; i < n; i++) await journal.append(pool[i % pool.length]);
      } finally {
        await journal.close();
      }
    },
  };
}

/** `tasks` concurrent appenders, each awaiting its own appends in a loop. */
function concurrentCase(
  pool: Uint8Array[],
  tasks: number,
  records: number,
  warmup: number,
  options: JournalOptions = {},
): BenchCase {
  return {
    name: `journal: ${tasks} concurrent appenders${optionsLabel(options)}`,
    records,
    warmupRecords: warmup,
    async run(dir, n) {
      const journal = await Journal.open(dir, options);
      try {
        const work = [];
        for (let t = 0; t < tasks; t++) {
          work.push((async () => {
            for (let i = t; i < n; i += tasks) await journal.append(pool[i % pool.length]);
          })());
        }
        await Promise.all(work);
      } finally {
        await journal.close();
      }
    },
  };
}

/** `appendBatch` of `size` payloads at a time. */
function batchCase(pool: Uint8Array[], size: number, records: number, warmup: number): BenchCase {
  return {
    name: `journal: appendBatch(${size.toLocaleString("en-US")})`,
    records,
    warmupRecords: warmup,
    async run(dir, n) {
      const journal = await Journal.open(dir);
      try {
        for (let i = 0; i < n; i += size) {
          const batch: Uint8Array[] = [];
          for (let j = i; j < Math.min(n, i + size); j++) batch.push(pool[j % pool.length]);
          await journal.appendBatch(batch);
        }
      } finally {
        await journal.close();
      }
    },
  };
}

/** Prints the result table with each case's ratio to SQLite's 1,000-row transactions. */
function printTable(results: Map<CaseKey, CaseResult>): void {
  const reference = results.get("sqlite1000")?.median;
  const rows = [...results.values()].map((r) => [
    r.name,
    r.records.toLocaleString("en-US"),
    formatRate(r.median),
    formatRate(Math.min(...r.trials)),
    formatRate(r.best),
    reference ? `${(r.median / reference).toFixed(2)}×` : "–",
  ]);
  const head = ["case", "records", "records/s (median)", "worst", "best", "× SQLite-1000"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}

/** Prints PASS/FAIL for each target whose cases were run. */
function printTargets(results: Map<CaseKey, CaseResult>): void {
  const rate = (key: CaseKey) => results.get(key)?.median;
  const targets: [string, CaseKey, CaseKey, number][] = [
    ["appendBatch(1000) ≥ 1.0× SQLite-1000", "batch1000", "sqlite1000", 1.0],
    ["64 concurrent ≥ 0.6× SQLite-1000", "concurrent64", "sqlite1000", 0.6],
    ["64 concurrent ≥ 50× naive", "concurrent64", "naive", 50],
    // The disk's own limit for 64 records per flush (issue 15).
    ["64 concurrent ≥ 0.7× 64 per blocking fdatasync", "concurrent64", "grouped64", 0.7],
  ];
  console.log("\ntargets");
  for (const [label, subject, reference, factor] of targets) {
    const s = rate(subject);
    const r = rate(reference);
    if (s === undefined || r === undefined) {
      console.log(`  SKIP  ${label}`);
      continue;
    }
    const verdict = s >= factor * r ? "PASS" : "FAIL";
    console.log(`  ${verdict}  ${label}: ${(s / r).toFixed(2)}×`);
  }
  const concurrent = rate("concurrent64");
  const blocking = rate("naiveBlocking");
  if (concurrent !== undefined && blocking !== undefined) {
    console.log(
      `  (info) 64 concurrent vs naive with blocking calls: ${(concurrent / blocking).toFixed(2)}×`,
    );
  }
  // The targets are judged on the defaults; the opt-in blocking flush is shown beside them.
  const opted = rate("concurrent64Blocking");
  const sqlite = rate("sqlite1000");
  const naive = rate("naive");
  if (opted !== undefined && sqlite !== undefined && naive !== undefined) {
    console.log(
      `  (info) 64 concurrent${optionsLabel(BLOCKING)}: ${
        (opted / sqlite).toFixed(2)
      }× SQLite-1000, ` +
        `${(opted / naive).toFixed(2)}× naive` +
        (rate("grouped64") === undefined
          ? ""
          : `, ${(opted / rate("grouped64")!).toFixed(2)}× 64 per blocking fdatasync`),
    );
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      trials: { type: "string", default: "5" },
    },
  });
  const only = new Set((values.only?.split(",") ?? CASE_KEYS).map((k) => k.trim()));
  for (const key of only) {
    if (!(CASE_KEYS as readonly string[]).includes(key)) {
      throw new TypeError(`Cannot run benchmark case "${key}": expected one of ${CASE_KEYS}`);
    }
  }
  const scale = values.quick ? 10 : 1;
  const trials = Number(values.trials);
  const records = (key: Exclude<CaseKey, "open">) => FULL_RECORDS[key] / scale;
  const warmup = (key: Exclude<CaseKey, "open">) => Math.max(BATCH_RECORDS, records(key) / 10);
  const pool = payloadPool();

  const cases: [CaseKey, BenchCase][] = [
    ["single", singleCase(pool, records("single"), warmup("single"))],
    [
      "singleBlocking",
      singleCase(pool, records("singleBlocking"), warmup("singleBlocking"), BLOCKING),
    ],
    [
      "concurrent64",
      concurrentCase(pool, CONCURRENT_TASKS, records("concurrent64"), warmup("concurrent64")),
    ],
    [
      "concurrent64Blocking",
      concurrentCase(
        pool,
        CONCURRENT_TASKS,
        records("concurrent64Blocking"),
        warmup("concurrent64Blocking"),
        BLOCKING,
      ),
    ],
    ["batch1000", batchCase(pool, BATCH_RECORDS, records("batch1000"), warmup("batch1000"))],
    ["naive", naiveCase(pool, records("naive"), warmup("naive"))],
    ["naiveBlocking", naiveCase(pool, records("naiveBlocking"), warmup("naiveBlocking"), true)],
    [
      "grouped64",
      groupedSyncCase(pool, CONCURRENT_TASKS, records("grouped64"), warmup("grouped64")),
    ],
    ["sqlite1", sqliteCase(pool, 1, records("sqlite1"), warmup("sqlite1"))],
    ["sqlite1000", sqliteCase(pool, BATCH_RECORDS, records("sqlite1000"), warmup("sqlite1000"))],
  ];

  console.log(
    `wal_bench: Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cpus, ` +
      `256-byte payloads, median of ${trials} interleaved rounds after a warm-up${
        values.quick ? " (--quick)" : ""
      }\n`,
  );
  const selected = cases.filter(([key]) => only.has(key));
  const measured = await measureCases(selected.map(([, c]) => c), {
    trials,
    onTrial: (name, round, rate) =>
      console.error(`  round ${round + 1}: ${name}: ${formatRate(rate)} records/s`),
  });
  const results = new Map<CaseKey, CaseResult>(
    selected.map(([key], i) => [key, measured[i]]),
  );
  if (results.size > 0) {
    printTable(results);
    printTargets(results);
  }
  if (only.has("open")) {
    printOpenResult(await measureOpen(FULL_OPEN_BYTES / scale, trials));
  }
}

if (import.meta.main) await main();
