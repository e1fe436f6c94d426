/**
 * Lag: how far a journal's committed cursor is behind its durable end, in
 * bytes and records, and when the cursor last moved. The one definition
 * behind `Ingestor.lag()`, `GET /status` and `deno task status`.
 *
 * @module
 */
import type { Lag } from "./options.ts";
import type { PassStats } from "./ingest_pass.ts";
import { retrying } from "./retry.ts";
import { CursorAheadError } from "./errors.ts";
import { stallOf } from "./stall.ts";

/** What measuring lag reads of a journal (a `Journal`, or any view of one). */
export interface LagJournal {
  /** Journal id. */
  readonly id: string;
  /** Journal directory. */
  readonly dir: string;
  /** Whether the journal is a reader, whose durable end must be refreshed. */
  readonly readOnly: boolean;
  /** End of durable data as last known. */
  readonly durableOffset: number;
  /** Base offset of the oldest segment: where an absent cursor starts. */
  readonly firstOffset: number;
  /** Re-read the published durable end. */
  refresh(): Promise<number>;
  /** Records from `offset` up to `options.end`. */
  readFrom(offset: number, options?: { end?: number }): AsyncIterable<unknown>;
}

/** What measuring lag reads of a store (a `KvStore`). */
export interface LagStore {
  /** Every journal's cursor. */
  cursors(): Promise<{ journalId: string; offset: number; updatedAt: number }[]>;
  /** Deadline of each call in ms (`KvStore.timeoutMs`): transient failures are retried within it. */
  readonly timeoutMs?: number;
}

/** How records behind are found. */
export interface LagOptions {
  /**
   * Figures of the records an ingestor has read: records behind are then
   * estimated from their mean size.
   */
  stats?: PassStats;
  /**
   * Count records behind exactly, reading record headers from the cursor,
   * stopping at this many (`recordsCapped` says so). Beats `stats`.
   */
  countLimit?: number;
  /**
   * An index of record ends (a `LagTracker`) that counts the records between
   * two offsets exactly without reading the journal, when it covers them.
   * Beats `countLimit`, which it falls back to.
   */
  counter?: RecordCounter;
}

/** Counts records between two offsets from an index, `undefined` where it has none. */
export interface RecordCounter {
  /** Records starting at or after `from` and ending at or before `to`. */
  count(from: number, to: number): number | undefined;
}

/** The durable end of `journal`, refreshed first for a reader. */
export async function durableEnd(journal: LagJournal): Promise<number> {
  return journal.readOnly ? await journal.refresh() : journal.durableOffset;
}

/** Measure the lag of `journal`'s cursor in `store`; see {@linkcode lagOf}. */
export async function measureLag(
  journal: LagJournal,
  store: LagStore,
  options: LagOptions = {},
): Promise<Lag> {
  // The cursor first: an end read after it is at least the end its committer saw.
  const cursors = await retrying(() => store.cursors(), { limitMs: store.timeoutMs });
  const durableOffset = await durableEnd(journal);
  const entry = cursors.find((c) => c.journalId === journal.id);
  return await lagOf(journal, { entry, durableOffset }, options);
}

/**
 * The lag of `journal` given its cursor entry (absent before the first
 * commit: the cursor is then the oldest segment's base) and durable end.
 * Records behind are counted from an index (`counter`), counted by reading
 * (`countLimit`), estimated (`stats`; counting
 * exactly means reading every header between cursor and durable end), or
 * left `undefined`. The last commit time is the cursor's own (any
 * ingestor's), falling back to `stats`. A cursor past the durable end is
 * reported as a `"cursor-ahead"` stall; `durableOffset` must then have been
 * read after the cursor, so that it is not merely an older view of the end.
 */
export async function lagOf(
  journal: LagJournal,
  at: {
    entry: { offset: number; updatedAt: number } | undefined;
    durableOffset: number;
  },
  options: LagOptions = {},
): Promise<Lag> {
  const { entry, durableOffset } = at;
  const { stats, countLimit } = options;
  const cursor = entry?.offset ?? journal.firstOffset;
  const bytes = Math.max(0, durableOffset - cursor);
  let records = options.counter?.count(cursor, durableOffset);
  let recordsCapped: boolean | undefined;
  if (records !== undefined) recordsCapped = false;
  else if (countLimit !== undefined) {
    records = 0;
    const from = Math.max(cursor, journal.firstOffset);
    if (from < durableOffset) {
      for await (const _ of journal.readFrom(from, { end: durableOffset })) {
        if (++records >= countLimit) break;
      }
    }
    recordsCapped = records >= countLimit;
  } else if (bytes === 0) records = 0;
  else if (stats !== undefined && stats.recordsRead > 0) {
    records = Math.max(1, Math.round(bytes / (stats.bytesRead / stats.recordsRead)));
  }
  const lastCommitAt = entry?.updatedAt ?? stats?.lastCommitAt ?? null;
  const ahead = cursor > durableOffset
    ? stallOf(
      new CursorAheadError({ journalId: journal.id, dir: journal.dir, cursor, durableOffset }),
    )
    : null;
  return {
    bytes,
    records,
    ...(recordsCapped === undefined ? {} : { recordsCapped }),
    cursor,
    durableOffset,
    lastCommitAt,
    ...(ahead === null ? {} : { stalled: ahead }),
  };
}
