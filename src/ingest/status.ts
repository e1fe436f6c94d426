/**
 * The operator's view of one journal and the store it feeds: segments, durable
 * end, ingest cursor, lag and dead letters. Served by `GET /status` and printed
 * by the `status` command; lag is the one measure of `lag.ts`.
 *
 * @module
 */

import { CorruptJournalError } from "../wal/mod.ts";
import { stallOf } from "./stall.ts";
import { durableEnd, type LagJournal, lagOf, type LagStore, type RecordCounter } from "./lag.ts";
import type { IngestStall, Lag } from "./options.ts";

/**
 * Most records counted when measuring lag in records.
 *
 * @example Tell a capped count in a report
 * ```ts
 * import { collectStatus, LAG_COUNT_LIMIT } from "@stemedb/ingest/ingest";
 * import { Journal } from "@stemedb/ingest/wal";
 * import { KvStore } from "@stemedb/ingest/store";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(`${dir}/wal`);
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const { ingest } = await collectStatus(journal, store);
 * const shown = ingest.lagRecordsCapped ? `${LAG_COUNT_LIMIT}+` : `${ingest.lagRecords}`;
 * console.log(`${shown} records behind`); // 0 records behind
 * store.close();
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const LAG_COUNT_LIMIT = 100_000;

/**
 * Most dead letters counted.
 *
 * @example Tell a capped dead-letter count
 * ```ts
 * import { DEAD_LETTER_COUNT_LIMIT, type StatusReport } from "@stemedb/ingest/ingest";
 *
 * function deadLetterLine(report: StatusReport): string {
 *   const { count } = report.deadLetters;
 *   return `${count}${count >= DEAD_LETTER_COUNT_LIMIT ? "+" : ""} dead letters`;
 * }
 * console.log(typeof deadLetterLine); // function
 * ```
 */
export const DEAD_LETTER_COUNT_LIMIT = 100_000;

/**
 * How many of the latest dead letters a status report shows by default.
 *
 * @example Tell when a report shows fewer dead letters than there are
 * ```ts
 * import { collectStatus, DEFAULT_DEAD_LETTER_LIMIT } from "@stemedb/ingest/ingest";
 * import { Journal } from "@stemedb/ingest/wal";
 * import { KvStore } from "@stemedb/ingest/store";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(`${dir}/wal`);
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const { deadLetters } = await collectStatus(journal, store);
 * if (deadLetters.count > DEFAULT_DEAD_LETTER_LIMIT) {
 *   console.log(`the latest ${DEFAULT_DEAD_LETTER_LIMIT} of ${deadLetters.count} dead letters`);
 * }
 * console.log(deadLetters.latest.length); // 0
 * store.close();
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const DEFAULT_DEAD_LETTER_LIMIT = 5;

/** What a status report reads of a journal (a `Journal`, or any view of one). */
export interface StatusJournal extends LagJournal {
  /** Journal directory. */
  readonly dir: string;
  /** The segment files, oldest first. */
  segments(): Promise<{ base: number; end: number; path: string; sealed: boolean }[]>;
}

/** What a status report reads of a store (a `KvStore`). */
export interface StatusStore extends LagStore {
  /** A journal's dead letters. */
  deadLetters(
    journalId?: string,
    options?: { limit?: number },
  ): Promise<{ offset: number; reason: string; payload: Uint8Array; payloadBytes?: number }[]>;
}

/**
 * Snapshot of a journal and its ingest progress, as `GET /status` serves it
 * and `deno task status --json` prints it.
 *
 * @example Print the lag
 * ```ts
 * import { collectStatus, type StatusReport } from "@stemedb/ingest/ingest";
 * import { Journal } from "@stemedb/ingest/wal";
 * import { KvStore } from "@stemedb/ingest/store";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(`${dir}/wal`);
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * await journal.append(new Uint8Array(16));
 * const report: StatusReport = await collectStatus(journal, store);
 * console.log(report.ingest.lagRecords); // 1
 * store.close();
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface StatusReport {
  /** The journal. */
  journal: {
    /** Journal id (32 hex characters). */
    id: string;
    /** Journal directory. */
    dir: string;
    /** Base offset of the oldest segment still present. */
    firstOffset: number;
    /** End of durable data. */
    durableOffset: number;
    /** Segment files, oldest first. */
    segments: { base: number; end: number; path: string; sealed: boolean }[];
  };
  /** Ingest progress of this journal. */
  ingest: {
    /** Offset the ingestor resumes from, or `null` before its first commit. */
    cursor: number | null;
    /** Durable bytes not yet ingested. */
    lagBytes: number;
    /** Durable records not yet ingested (without a `counter`, at most {@linkcode LAG_COUNT_LIMIT}). */
    lagRecords: number;
    /** Whether `lagRecords` stopped counting at the limit. */
    lagRecordsCapped: boolean;
    /** When the cursor last moved (ms since the epoch), or `null`. */
    lastCommitAt: number | null;
    /**
     * What stops ingestion, `null` if nothing does: damage in the journal
     * (what the ingestor reported, or what counting the records behind the
     * cursor ran into), or a cursor past the durable end (`"cursor-ahead"`).
     */
    stalled: IngestStall | null;
  };
  /** Every journal's cursor in the store (several journals may feed one KV). */
  cursors: { journalId: string; offset: number; updatedAt: number }[];
  /** Records the ingestor could not apply. */
  deadLetters: {
    /** How many this journal has (at most {@linkcode DEAD_LETTER_COUNT_LIMIT}). */
    count: number;
    /** The latest few, newest first. */
    latest: { offset: number; reason: string; bytes: number }[];
  };
}

/**
 * Options for {@linkcode collectStatus}.
 *
 * @example Leave the dead letters out
 * ```ts
 * import type { CollectStatusOptions } from "@stemedb/ingest/ingest";
 *
 * const options: CollectStatusOptions = { deadLetterLimit: 0 };
 * console.log(options.deadLetterLimit); // 0
 * ```
 */
export interface CollectStatusOptions {
  /**
   * How many of the latest dead letters to include.
   * @default {DEFAULT_DEAD_LETTER_LIMIT}
   */
  deadLetterLimit?: number;
  /**
   * An index that counts records behind exactly (the service's
   * `LagTracker`); without one, or where it does not reach, records are
   * counted by reading, up to {@linkcode LAG_COUNT_LIMIT}.
   * @default undefined
   */
  counter?: RecordCounter;
  /**
   * The stall an ingestor of this journal reported (`Ingestor.stalled`).
   * @default {null}
   */
  stalled?: IngestStall | null;
}

/**
 * Gather a {@linkcode StatusReport}; a read-only journal is refreshed first.
 * Lag is measured as `Ingestor.lag()` measures it, with records counted
 * exactly up to {@linkcode LAG_COUNT_LIMIT}.
 *
 * @example Report on a journal and its store
 * ```ts
 * import { collectStatus } from "@stemedb/ingest/ingest";
 * import { Journal } from "@stemedb/ingest/wal";
 * import { KvStore } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(`${dir}/wal`);
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * await journal.append(new Uint8Array(16));
 * const report = await collectStatus(journal, store, { deadLetterLimit: 10 });
 * assert.equal(report.ingest.cursor, null);
 * assert.equal(report.ingest.lagBytes, journal.durableOffset - journal.firstOffset);
 * store.close();
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function collectStatus(
  journal: StatusJournal,
  store: StatusStore,
  options: CollectStatusOptions = {},
): Promise<StatusReport> {
  // The cursors first: an end read after them is at least the end their committers saw.
  const cursors = await store.cursors();
  const durableOffset = await durableEnd(journal);
  const [segments, letters] = await Promise.all([
    journal.segments(),
    store.deadLetters(journal.id, { limit: DEAD_LETTER_COUNT_LIMIT }),
  ]);
  const own = cursors.find((c) => c.journalId === journal.id);
  let stalled = options.stalled ?? null;
  let lag: Lag;
  try {
    lag = await lagOf(journal, { entry: own, durableOffset }, {
      countLimit: LAG_COUNT_LIMIT,
      counter: options.counter,
    });
  } catch (error) {
    // Counting reads the records behind the cursor: it meets what the ingestor meets.
    if (!(error instanceof CorruptJournalError)) throw error;
    stalled ??= stallOf(error);
    lag = await lagOf(journal, { entry: own, durableOffset });
  }
  stalled ??= lag.stalled ?? null;
  const latest = [...letters].sort((a, b) => b.offset - a.offset)
    .slice(0, options.deadLetterLimit ?? DEFAULT_DEAD_LETTER_LIMIT)
    .map((d) => ({
      offset: d.offset,
      reason: d.reason,
      bytes: d.payloadBytes ?? d.payload.byteLength,
    }));
  return {
    journal: {
      id: journal.id,
      dir: journal.dir,
      firstOffset: journal.firstOffset,
      durableOffset,
      segments: segments.map((s) => ({ base: s.base, end: s.end, path: s.path, sealed: s.sealed })),
    },
    ingest: {
      cursor: own?.offset ?? null,
      lagBytes: lag.bytes,
      lagRecords: lag.records ?? 0,
      lagRecordsCapped: lag.recordsCapped === true,
      lastCommitAt: lag.lastCommitAt,
      stalled,
    },
    cursors,
    deadLetters: { count: letters.length, latest },
  };
}

/** One journal's part of a {@linkcode ShardedStatusReport}: its report without the store-wide cursors. */
export type ShardStatus = Omit<StatusReport, "cursors">;

/**
 * A {@linkcode StatusReport} of the first journal (the one answering), with a
 * report on every journal feeding the store from the same data directory:
 * the shards of a service running one journal per worker.
 *
 * @example Report on two journals feeding one store
 * ```ts
 * import assert from "node:assert/strict";
 * import { collectShardStatus } from "@stemedb/ingest/ingest";
 * import { Journal } from "@stemedb/ingest/wal";
 * import { KvStore } from "@stemedb/ingest/store";
 *
 * const dir = await Deno.makeTempDir();
 * const a = await Journal.open(`${dir}/wal`);
 * const b = await Journal.open(`${dir}/wal-1`);
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * await b.append(new Uint8Array(16));
 * const report = await collectShardStatus([a, b], store);
 * assert.equal(report.journal.id, a.id);
 * assert.deepEqual(report.shards.map((s) => s.ingest.lagRecords), [0, 1]);
 * store.close();
 * await a.close();
 * await b.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface ShardedStatusReport extends StatusReport {
  /** Every journal's report, the answering one first. */
  shards: ShardStatus[];
}

/**
 * Gather a {@linkcode ShardedStatusReport} over `journals` (at least one), the
 * first one the report's own.
 *
 * @example Report on one journal as a shard set
 * ```ts
 * import assert from "node:assert/strict";
 * import { collectShardStatus } from "@stemedb/ingest/ingest";
 * import { Journal } from "@stemedb/ingest/wal";
 * import { KvStore } from "@stemedb/ingest/store";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(`${dir}/wal`);
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const report = await collectShardStatus([journal], store);
 * assert.equal(report.shards.length, 1);
 * store.close();
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function collectShardStatus(
  journals: StatusJournal[],
  store: StatusStore,
  options: CollectStatusOptions = {},
): Promise<ShardedStatusReport> {
  if (journals.length === 0) throw new TypeError("Cannot collect status: no journal given");
  // A counter and a stall speak of one journal: the first, the caller's own shard.
  const { counter: _counter, stalled: _stalled, ...others } = options;
  const reports = await Promise.all(
    journals.map((j, i) => collectStatus(j, store, i === 0 ? options : others)),
  );
  const shards = reports.map(({ cursors: _, ...shard }) => shard);
  return { ...reports[0], shards };
}
