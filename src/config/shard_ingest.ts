/**
 * One ingest pass over every journal shard of a data directory, each opened
 * read-only: what a scheduled run (`cron.ts`) does. Passes that overlap, in
 * this process or another, or a service's own ingestors running alongside,
 * are safe: the cursor's versionstamp check applies each record once.
 *
 * @module
 */

import { Ingestor, type IngestReport } from "../ingest/mod.ts";
import { Journal } from "../wal/mod.ts";
import { type DataConfig, openStore } from "./data_dir.ts";
import { listShards } from "./shards.ts";

/** Options of {@linkcode ingestShards}. */
export interface IngestShardsOptions {
  /**
   * Time the whole run may spend reading new records, in milliseconds; each
   * shard gets what the ones before it left.
   * @default {Infinity}
   */
  timeBudgetMs?: number;
  /**
   * Stops the run between commits.
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** What a run did to one shard. */
export interface ShardIngestReport extends IngestReport {
  /** The shard number. */
  shard: number;
  /** The shard's journal id. */
  journalId: string;
}

/** Apply every shard of `config` to its store, one pass each, within the time budget. */
export async function ingestShards(
  config: DataConfig,
  options: IngestShardsOptions = {},
): Promise<ShardIngestReport[]> {
  const deadline = performance.now() + (options.timeBudgetMs ?? Infinity);
  const shards = await listShards(config);
  const reports: ShardIngestReport[] = [];
  if (shards.length === 0) return reports;
  const store = await openStore(config);
  try {
    for (const shard of shards) {
      if (options.signal?.aborted) break;
      const journal = await Journal.open(shard.dir, { readOnly: true });
      try {
        const ingestor = new Ingestor(journal, store, { signal: options.signal });
        const timeBudgetMs = Math.max(0, deadline - performance.now());
        const report = await ingestor.runOnce({ timeBudgetMs });
        reports.push({ ...report, shard: shard.index, journalId: journal.id });
      } finally {
        await journal.close();
      }
    }
  } finally {
    store.close();
  }
  return reports;
}
