/**
 * Scheduled ingestion, Deploy-style: registers the cron job
 * `Deno.cron("stemedb-ingest", schedule, …)` at this module's top level, as
 * Deno Deploy requires, and each run applies every journal shard of
 * `STEMEDB_DATA` to the KV `STEMEDB_KV` names, within a time budget below the
 * schedule's period. The schedule is `STEMEDB_CRON` (default every minute).
 * Runs that overlap, here or in another process, are safe: each record is
 * applied once. Run locally with `deno task cron`: it also makes one run at
 * start, and stops on SIGINT/SIGTERM after the run in progress.
 *
 * @module
 */

import { resolveConfig } from "./src/config/data_dir.ts";
import { cronEnv } from "./src/config/env.ts";
import { ingestShards } from "./src/config/shard_ingest.ts";
import { CRON_NAME } from "./src/ingest/mod.ts";

/** Default schedule: every minute. */
const DEFAULT_SCHEDULE = "* * * * *";
/** A run stops reading new records after this long: well inside a minute. */
const TIME_BUDGET_MS = 50_000;

const halt = new AbortController();

async function run(): Promise<void> {
  try {
    for (
      const r of await ingestShards(resolveConfig({}), {
        timeBudgetMs: TIME_BUDGET_MS,
        signal: halt.signal,
      })
    ) {
      console.log(JSON.stringify({ cron: CRON_NAME, ...r }));
    }
  } catch (error) {
    console.error(error);
  }
}

const cron = Deno.cron(CRON_NAME, cronEnv() ?? DEFAULT_SCHEDULE, { signal: halt.signal }, run);

if (import.meta.main) {
  const first = run();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const stop = () => {
    for (const s of signals) Deno.removeSignalListener(s, stop);
    halt.abort();
  };
  for (const s of signals) Deno.addSignalListener(s, stop);
  await Promise.all([cron, first]);
}
