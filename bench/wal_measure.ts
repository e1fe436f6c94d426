/**
 * Timing helpers shared by the write-ahead log benchmark and its peers
 * (naive fdatasync loop, SQLite). Each case runs in a fresh temporary
 * directory on the same disk, once to warm up and then in several interleaved
 * timed rounds, and reports the median.
 *
 * @module
 */

/** One benchmark case: writes `records` durable records into `dir`. */
export interface BenchCase {
  /** Name printed in the result table. */
  name: string;
  /** Records written per timed trial. */
  records: number;
  /** Records written by the untimed warm-up run. */
  warmupRecords: number;
  /**
   * Untimed setup in the fresh directory before each run of `records`
   * records (a peer's preallocated file).
   */
  prepare?(dir: string, records: number): Promise<void>;
  /**
   * Writes `records` records into the empty directory `dir` and returns once
   * every one is durable. Setup (opening files) may happen inside; it is
   * timed too, and is negligible at these record counts.
   */
  run(dir: string, records: number): Promise<void>;
}

/** The outcome of one case. */
export interface CaseResult {
  /** Name of the case. */
  name: string;
  /** Records written per timed trial. */
  records: number;
  /** Median records per second over the timed trials. */
  median: number;
  /** Best records per second over the timed trials. */
  best: number;
  /** Records per second of every timed trial, in run order. */
  trials: number[];
}

/** Options of {@linkcode measureCases}. */
export interface MeasureOptions {
  /**
   * Number of timed rounds; the median is reported.
   * @default {5}
   */
  trials?: number;
  /**
   * Parent of the per-trial temporary directories.
   * @default {the system temporary directory}
   */
  tempRoot?: string;
  /**
   * Called after each timed trial (progress output).
   * @default {undefined}
   */
  onTrial?: (name: string, round: number, recordsPerSecond: number) => void;
}

/** Size of every benchmark payload, as the issue asks. */
export const PAYLOAD_BYTES = 256;

/**
 * A pool of distinct random 256-byte payloads, cycled by the cases so that
 * generating input costs nothing inside the timed region.
 */
export function payloadPool(count = 4096, bytes = PAYLOAD_BYTES): Uint8Array[] {
  const pool: Uint8Array[] = [];
  for (let i = 0; i < count; i++) pool.push(crypto.getRandomValues(new Uint8Array(bytes)));
  return pool;
}

/**
 * Runs every case once untimed (warm-up), then `trials` timed rounds. Each
 * round runs every case once, in order, so that all cases see the same
 * background load (the disk and the two cores are shared): interleaving keeps
 * the ratios between cases honest when the load drifts. Every run gets a fresh
 * temporary directory, removed afterwards.
 */
export async function measureCases(
  cases: BenchCase[],
  options: MeasureOptions = {},
): Promise<CaseResult[]> {
  const trials = options.trials ?? 5;
  for (const c of cases) {
    await inTempDir(options.tempRoot, async (dir) => {
      await c.prepare?.(dir, c.warmupRecords);
      await c.run(dir, c.warmupRecords);
    });
  }
  const rates: number[][] = cases.map(() => []);
  for (let round = 0; round < trials; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i];
      const ms = await inTempDir(options.tempRoot, async (dir) => {
        await c.prepare?.(dir, c.records);
        const start = performance.now();
        await c.run(dir, c.records);
        return performance.now() - start;
      });
      const rate = c.records / (ms / 1000);
      rates[i].push(rate);
      options.onTrial?.(c.name, round, rate);
    }
  }
  return cases.map((c, i) => ({
    name: c.name,
    records: c.records,
    median: median(rates[i]),
    best: Math.max(...rates[i]),
    trials: rates[i],
  }));
}

/** Median of a non-empty list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs `fn` with a fresh temporary directory and removes it afterwards. */
export async function inTempDir<T>(
  root: string | undefined,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ dir: root, prefix: "wal_bench_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Milliseconds `fn` takes, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** Formats a rate with thousands separators and no decimals. */
export function formatRate(rate: number): string {
  return Math.round(rate).toLocaleString("en-US");
}
