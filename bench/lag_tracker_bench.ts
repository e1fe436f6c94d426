/**
 * What the service's observation costs the journal: durable appends of
 * 256-byte payloads with and without a `TimedFileLayer` and a `LagTracker`
 * fed each append's results (as the HTTP write routes feed it), measured in the
 * same run, interleaved, medians of the rounds. Figures, not a timed test.
 *
 * ```sh
 * deno run -A bench/lag_tracker_bench.ts [--quick] [--trials=5] [--dir=/dev/shm]
 * ```
 *
 * On a disk the fdatasyncs dominate and the two cases differ by less than the
 * noise of a shared machine; `--dir` on a tmpfs (fdatasync is free there)
 * shows the observation's CPU cost alone.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Journal, TimedFileLayer } from "../src/wal/mod.ts";
import { KvStore } from "../src/store/mod.ts";
import { LagTracker } from "../src/ingest/mod.ts";
import { type BenchCase, formatRate, measureCases, payloadPool } from "./wal_measure.ts";

const args = parseArgs({
  args: Deno.args,
  options: { quick: { type: "boolean" }, trials: { type: "string" }, dir: { type: "string" } },
});
const scale = args.values.quick ? 10 : 1;
const trials = Number(args.values.trials ?? 5);
const pool = payloadPool();

type Observe = (results: { offset: number; next: number }[]) => void;

async function concurrent(journal: Journal, records: number, observe?: Observe): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < records) {
      const result = await journal.append(pool[next++ % pool.length]);
      observe?.([result]);
    }
  }));
}

async function batches(journal: Journal, records: number, observe?: Observe): Promise<void> {
  for (let i = 0; i < records; i += 1000) {
    const payloads = Array.from({ length: 1000 }, (_, j) => pool[(i + j) % pool.length]);
    const results = await journal.appendBatch(payloads);
    observe?.(results);
  }
}

function cases(name: string, records: number, write: typeof concurrent): BenchCase[] {
  return [
    {
      name: `${name}, plain journal`,
      records,
      warmupRecords: records / 10,
      async run(dir, n) {
        const journal = await Journal.open(`${dir}/wal`);
        await write(journal, n);
        await journal.close();
      },
    },
    {
      name: `${name}, timed syncs + LagTracker`,
      records,
      warmupRecords: records / 10,
      async run(dir, n) {
        const fs = new TimedFileLayer();
        const journal = await Journal.open(`${dir}/wal`, { fs });
        const store = await KvStore.open(`${dir}/kv.sqlite`);
        const tracker = await LagTracker.start(journal, store, { lastSyncMs: () => fs.lastSyncMs });
        // As the HTTP write routes do: hand each append's results to the tracker, and ask for
        // the group commit of the last one (for the request's span).
        await write(journal, n, (results) => {
          tracker.observe(results);
          tracker.group(results[results.length - 1].next).then(() => {});
        });
        await tracker.settled();
        if (tracker.lag.records !== n) throw new Error(`tracked ${tracker.lag.records} of ${n}`);
        await tracker.close();
        store.close();
        await journal.close();
      },
    },
  ];
}

const all = [
  ...cases("64 concurrent append()", 100_000 / scale, concurrent),
  ...cases("appendBatch(1000)", 500_000 / scale, batches),
];
const results = await measureCases(all, { trials, tempRoot: args.values.dir });
for (let i = 0; i < results.length; i += 2) {
  const [plain, tracked] = [results[i], results[i + 1]];
  console.log(`${plain.name.padEnd(48)} ${formatRate(plain.median)} records/s`);
  console.log(
    `${tracked.name.padEnd(48)} ${formatRate(tracked.median)} records/s  ${
      (tracked.median / plain.median).toFixed(2)
    }× plain`,
  );
}
