/**
 * Write-ahead log benchmark: figures, not timed tests (the exit code is 0
 * whatever the figures are).
 *
 * In one run, durable appends of 256-byte payloads into temporary
 * directories on the same disk: one appender awaiting each append, 64
 * concurrent appenders, `appendBatch` of 1,000, a naive write + fdatasync
 * loop, 64 records per blocking write + fdatasync into preallocated space
 * (the disk's limit for 64 concurrent appenders; and again with each record
 * sealed as the journal seals it, the disk and the hashing's limit), SQLite (WAL mode, `synchronous=FULL`) autocommit and 1,000-row
 * transactions. Then `Journal.open` on a 1 GiB journal against a full
 * `verifyJournal` scan of the same log.
 *
 * ```sh
 * deno run -A bench/wal_bench.ts            # full sizes
 * deno run -A bench/wal_bench.ts --quick    # a tenth of the sizes
 * deno run -A bench/wal_bench.ts --scale=2 --open-mib=256  # half the records, a 256 MiB journal
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
  median,
  payloadPool,
} from "./wal_measure.ts";
import { groupedSyncCase, naiveCase, sqliteCase } from "./wal_peers.ts";
import { loadHashers } from "../src/wal/checksums.ts";
import { HEADER_SIZE } from "../src/wal/format.ts";
import { placeRecord, sealRecord } from "../src/wal/record_codec.ts";
import { perSecond, reportTargets, type TargetRow } from "./_targets.ts";
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
  "grouped64Sealed",
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
  grouped64Sealed: 200_000,
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

/** Median over rounds of `subject`'s rate over `peer`'s in the same round. */
function roundRatio(subject: CaseResult, peer: CaseResult): number {
  return median(subject.trials.map((rate, round) => rate / peer.trials[round]));
}

/** µs per group of `group` records of sealing (BLAKE3 and CRC-32C), as the writer seals them inline. */
async function sealMicros(pool: Uint8Array[], group: number, reps = 200): Promise<number> {
  const h = await loadHashers();
  const bytes = group * (HEADER_SIZE + pool[0].length);
  const buf = new Uint8Array(bytes);
  const starts: number[] = [];
  for (let j = 0, at = 0; j < group; j++) {
    starts.push(at);
    at = placeRecord(pool[j], buf, at);
  }
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (const at of starts) sealRecord(h, buf, at);
    samples.push((performance.now() - t0) * 1000);
  }
  return median(samples);
}

/** The target rows whose cases were run, each ratio a median of per-round ratios. */
async function targetRows(
  results: Map<CaseKey, CaseResult>,
  pool: Uint8Array[],
): Promise<TargetRow[]> {
  const rows: TargetRow[] = [];
  const row = (
    key: string,
    path: string,
    [subject, peer]: [CaseKey, CaseKey],
    target: number,
  ) => {
    const s = results.get(subject);
    const p = results.get(peer);
    if (s === undefined || p === undefined) return;
    rows.push({
      key,
      path,
      figure: perSecond(s.median),
      peer: `${p.name}: ${perSecond(p.median)}`,
      ratio: roundRatio(s, p),
      compare: ">=",
      target,
    });
  };
  // The disk's own limit for 64 records per flush (issue 15).
  row(
    "wal-concurrent64",
    "64 concurrent append() vs 64 records per blocking fdatasync",
    ["concurrent64", "grouped64"],
    0.7,
  );
  row("wal-batch-sqlite", "appendBatch(1000) vs SQLite 1,000-row txns", [
    "batch1000",
    "sqlite1000",
  ], 1.0);
  row("wal-concurrent-sqlite", "64 concurrent append() vs SQLite 1,000-row txns", [
    "concurrent64",
    "sqlite1000",
  ], 0.6);
  row("wal-concurrent-naive", "64 concurrent append() vs naive write + fdatasync", [
    "concurrent64",
    "naive",
  ], 50);
  const concurrent = results.get("concurrent64");
  const grouped = results.get("grouped64");
  if (concurrent !== undefined && grouped !== undefined) {
    // What one group of 64 costs the journal, and of what: the bound of the row above.
    const groupUs = (rate: number) => CONCURRENT_TASKS / rate * 1e6;
    const journalUs = median(concurrent.trials.map(groupUs));
    const diskUs = median(grouped.trials.map(groupUs));
    const sealUs = await sealMicros(pool, CONCURRENT_TASKS);
    const rest = journalUs - diskUs - sealUs;
    const us = (x: number) => `${x.toFixed(0)} µs`;
    console.log(
      [
        `\nper group of ${CONCURRENT_TASKS} (medians of the rounds): the journal ${us(journalUs)};`,
        `the peer's write + fdatasync ${us(diskUs)};`,
        `sealing (BLAKE3 in blake3-jit, CRC-32C in hash-wasm) ${us(sealUs)};`,
        `the rest (appends, promises, thread hand-offs, and the slower fdatasync after work:`,
        `see the measured bound) ${us(rest)}.`,
        `Bound with the disk and the hashing summed: ${(diskUs / (diskUs + sealUs)).toFixed(2)}×`,
      ].join(" "),
    );
    const sealed = results.get("grouped64Sealed");
    if (sealed !== undefined) {
      // Measured, not summed: the time spent hashing between two fdatasyncs
      // also makes the next one slower on this VM.
      console.log(
        `measured bound, the peer sealing each record as the journal does: ${
          roundRatio(sealed, grouped).toFixed(2)
        }× the peer (${median(sealed.trials.map(groupUs)).toFixed(0)} µs a group); ` +
          `the journal reaches ${roundRatio(concurrent, sealed).toFixed(2)}× of it`,
      );
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      trials: { type: "string", default: "5" },
      scale: { type: "string" },
      "open-mib": { type: "string" },
    },
  });
  const only = new Set((values.only?.split(",") ?? CASE_KEYS).map((k) => k.trim()));
  for (const key of only) {
    if (!(CASE_KEYS as readonly string[]).includes(key)) {
      throw new TypeError(`Cannot run benchmark case "${key}": expected one of ${CASE_KEYS}`);
    }
  }
  const scale = values.scale !== undefined ? Number(values.scale) : values.quick ? 10 : 1;
  if (!(scale >= 1)) throw new TypeError(`Cannot use "--scale=${values.scale}": expected ≥ 1`);
  const openBytes = values["open-mib"] !== undefined
    ? Number(values["open-mib"]) * 1024 * 1024
    : FULL_OPEN_BYTES / scale;
  const trials = Number(values.trials);
  const records = (key: Exclude<CaseKey, "open">) => Math.round(FULL_RECORDS[key] / scale);
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
    [
      "grouped64Sealed",
      groupedSyncCase(
        pool,
        CONCURRENT_TASKS,
        records("grouped64Sealed"),
        warmup("grouped64Sealed"),
        await loadHashers(),
      ),
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
  const rows: TargetRow[] = [];
  if (results.size > 0) {
    printTable(results);
    rows.push(...await targetRows(results, pool));
  }
  if (only.has("open")) {
    rows.push(printOpenResult(await measureOpen(openBytes, trials)));
  }
  await reportTargets(rows);
}

if (import.meta.main) await main();
