/**
 * The ingestor: tails a write-ahead {@linkcode Journal} into a
 * {@linkcode KvStore}, applying every durable record exactly once, in order,
 * across crashes, restarts, concurrent ingestors and retried commits. Run it
 * as a background loop (`start()` / `stop()`), one pass at a time
 * (`runOnce()`), or on a cron schedule (`scheduleIngest()`).
 *
 * @example Append an assertion and query it
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 * import { contentHash, serializeAssertion } from "@stemedb/ingest/records";
 * import { KvStore } from "@stemedb/ingest/store";
 * import { Ingestor } from "@stemedb/ingest/ingest";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(`${dir}/wal`);
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const ingestor = new Ingestor(journal, store);
 * ingestor.start();
 *
 * const payload = serializeAssertion({
 *   subject: "Paris",
 *   predicate: "capitalOf",
 *   object: "France",
 *   source: "atlas",
 *   confidence: 0.99,
 *   timestamp: 1_700_000_000_000,
 * });
 * const { offset } = await journal.append(payload);
 * await ingestor.waitFor(offset, { timeoutMs: 10_000 });
 *
 * const hash = await contentHash(payload);
 * assert.equal((await store.getAssertion(hash))?.object, "France");
 * assert.equal((await store.listSubject("Paris")).items.length, 1);
 *
 * await ingestor.stop();
 * store.close();
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export { Ingestor } from "./ingestor.ts";
export {
  type CursorAhead,
  CursorAheadError,
  IngestWaitError,
  type IngestWaitErrorKind,
} from "./errors.ts";
export { rewindCursor, type RewindCursorOptions, type RewoundCursor } from "./rewind_cursor.ts";
export type { WaitForOptions } from "./waiters.ts";
export {
  CRON_NAME,
  type IngestorJournal,
  type IngestorStore,
  type ScheduledIngest,
  scheduleIngest,
  type ScheduleIngestOptions,
} from "./schedule.ts";
export {
  collectShardStatus,
  collectStatus,
  type CollectStatusOptions,
  DEAD_LETTER_COUNT_LIMIT,
  DEFAULT_DEAD_LETTER_LIMIT,
  LAG_COUNT_LIMIT,
  type ShardedStatusReport,
  type ShardStatus,
  type StatusJournal,
  type StatusReport,
  type StatusStore,
} from "./status.ts";
export type { LagJournal, LagStore, RecordCounter } from "./lag.ts";
export {
  type GroupCommit,
  LagTracker,
  type LagTrackerOptions,
  type TrackedJournal,
  type TrackedLag,
  type TrackedStore,
} from "./lag_tracker.ts";
export type {
  CleanupOptions,
  IngestorOptions,
  IngestReport,
  IngestStall,
  IngestStallKind,
  Lag,
  RunOnceOptions,
} from "./options.ts";
