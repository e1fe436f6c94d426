/**
 * Scheduled ingestion with `Deno.cron`: each tick runs one time-boxed pass of
 * an {@linkcode Ingestor}. `scheduleIngest()` registers its job when called,
 * which a long-running process may do; Deno Deploy requires cron jobs to be
 * registered at a module's top level, which the repository's `cron.ts` does
 * with {@linkcode CRON_NAME}.
 *
 * @module
 */
import { requireUnstable } from "../store/mod.ts";
import { Ingestor } from "./ingestor.ts";
import type { IngestorOptions, IngestReport } from "./options.ts";

/** The journal type `new Ingestor()` takes: a `Journal` from `@stemedb/ingest/wal`. */
export type IngestorJournal = ConstructorParameters<typeof Ingestor>[0];
/** The store type `new Ingestor()` takes: a `KvStore` from `@stemedb/ingest/store`. */
export type IngestorStore = ConstructorParameters<typeof Ingestor>[1];

/**
 * The cron job name of stemedb's scheduled ingestion, the same in every
 * process: Deno runs one job of a name at a time.
 *
 * @example Register the job at a module's top level
 * ```ts ignore
 * import { CRON_NAME } from "@stemedb/ingest/ingest";
 * Deno.cron(CRON_NAME, "* * * * *", () => console.log("tick"));
 * ```
 */
export const CRON_NAME = "stemedb-ingest";

/** Options of {@linkcode scheduleIngest}: the ingestor's options plus the schedule's. */
export interface ScheduleIngestOptions extends IngestorOptions {
  /**
   * Name of the cron job; Deno.cron names are unique per process.
   * @default {"stemedb-ingest"}
   */
  name?: string;
  /**
   * Most records one tick applies.
   * @default {Infinity}
   */
  maxRecords?: number;
  /**
   * Time one tick may spend reading new records, in milliseconds; keep it
   * below the schedule's period.
   * @default {50000}
   */
  timeBudgetMs?: number;
  /**
   * Called with each tick's report.
   * @default {undefined}
   */
  onReport?: (report: IngestReport) => void;
}

/** A running schedule; close it (or abort `options.signal`) to stop. */
export interface ScheduledIngest extends AsyncDisposable {
  /** The cron job's name. */
  readonly name: string;
  /** The ingestor each tick runs; `runOnce()` on it runs a tick by hand. */
  readonly ingestor: Ingestor;
  /** Runs one tick now, exactly as the schedule does. */
  tick(): Promise<IngestReport>;
  /** Resolves once the cron job has stopped and no tick is running. */
  readonly done: Promise<void>;
  /** Stop the schedule; resolves as `done` does. */
  close(): Promise<void>;
}

/**
 * Run an ingestor pass on a cron `schedule` with `Deno.cron`. Ticks that
 * overlap (a slow pass, or the same schedule in several processes) are safe:
 * the cursor's versionstamp check keeps every record applied exactly once.
 * Errors of a tick go to `options.onError` (default `console.error`); the next
 * tick carries on.
 *
 * @throws {UnstableApiError} If `Deno.cron` is not enabled (`--unstable-cron`).
 *
 * @example Ingest every minute until closed
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 * import { KvStore } from "@stemedb/ingest/store";
 * import { scheduleIngest } from "@stemedb/ingest/ingest";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(`${dir}/wal`);
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const schedule = scheduleIngest(journal, store, "* * * * *", { timeBudgetMs: 20_000 });
 * const report = await schedule.tick();
 * assert.equal(report.caughtUp, true);
 * await schedule.close();
 * store.close();
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function scheduleIngest(
  journal: IngestorJournal,
  store: IngestorStore,
  schedule: string,
  options: ScheduleIngestOptions = {},
): ScheduledIngest {
  requireUnstable("cron", "Cannot schedule ingest");
  const {
    name = CRON_NAME,
    maxRecords,
    timeBudgetMs = 50_000,
    onReport,
    onError = console.error,
    ...ingestorOptions
  } = options;
  const halt = new AbortController();
  const signals = [halt.signal];
  if (options.signal) signals.push(options.signal);
  const signal = AbortSignal.any(signals);
  const ingestor = new Ingestor(journal, store, { ...ingestorOptions, onError, signal });
  const tick = async (): Promise<IngestReport> => {
    const report = await ingestor.runOnce({ maxRecords, timeBudgetMs });
    onReport?.(report);
    return report;
  };
  let last: Promise<unknown> = Promise.resolve();
  const handler = (): Promise<void> => {
    const run = tick().then(() => {}, (e) => onError(e));
    last = run;
    return run;
  };
  const cron = Deno.cron(name, schedule, { signal }, handler);
  const done = cron.then(() => last).then(() => {});
  const close = (): Promise<void> => {
    halt.abort();
    return done;
  };
  return { name, ingestor, tick, done, close, [Symbol.asyncDispose]: close };
}
