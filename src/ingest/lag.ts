/**
 * Lag figures: how far the committed cursor is behind the journal's durable end.
 *
 * @module
 */
import type { Journal } from "../wal/mod.ts";
import type { KvStore } from "../store/mod.ts";
import type { Lag } from "./options.ts";
import type { PassStats } from "./ingest_pass.ts";
import { retrying } from "./retry.ts";

/**
 * Measure the lag of the cursor of `journal` in `store`. Records behind are
 * estimated from the mean record size seen so far (`stats`), since counting
 * them exactly means reading every header between cursor and durable end.
 * The last commit time is the cursor's own (any ingestor's), falling back to
 * this process's last commit.
 */
export async function measureLag(journal: Journal, store: KvStore, stats: PassStats): Promise<Lag> {
  const durableOffset = journal.readOnly ? await journal.refresh() : journal.durableOffset;
  const entry = (await retrying(() => store.cursors())).find((c) => c.journalId === journal.id);
  const cursor = entry?.offset ?? journal.firstOffset;
  const bytes = Math.max(0, durableOffset - cursor);
  let records: number | undefined;
  if (bytes === 0) records = 0;
  else if (stats.recordsRead > 0) {
    records = Math.max(1, Math.round(bytes / (stats.bytesRead / stats.recordsRead)));
  }
  const lastCommitAt = entry?.updatedAt ?? stats.lastCommitAt;
  return { bytes, records, cursor, durableOffset, lastCommitAt };
}
