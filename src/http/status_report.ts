/**
 * The operator's view of one journal and the store it feeds: segments, durable
 * end, ingest cursor, lag and dead letters. Served by `GET /status` and printed
 * by the `status` command.
 *
 * @module
 */

import type { JournalPort, StorePort } from "./ports.ts";

/** Most records counted when measuring lag in records. */
export const LAG_COUNT_LIMIT = 100_000;

/** Most dead letters counted. */
export const DEAD_LETTER_COUNT_LIMIT = 100_000;

/** Snapshot of a journal and its ingest progress. */
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
    /** Durable records not yet ingested (at most {@linkcode LAG_COUNT_LIMIT}). */
    lagRecords: number;
    /** Whether `lagRecords` stopped counting at the limit. */
    lagRecordsCapped: boolean;
    /** When the cursor last moved (ms since the epoch), or `null`. */
    lastCommitAt: number | null;
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

/** Options for {@linkcode collectStatus}. */
export interface CollectStatusOptions {
  /**
   * How many of the latest dead letters to include.
   * @default 5
   */
  deadLetterLimit?: number;
}

/** Gather a {@linkcode StatusReport}; a read-only journal is refreshed first. */
export async function collectStatus(
  journal: JournalPort,
  store: StorePort,
  options: CollectStatusOptions = {},
): Promise<StatusReport> {
  if (journal.readOnly) await journal.refresh();
  const durableOffset = journal.durableOffset;
  const [segments, cursors, letters] = await Promise.all([
    journal.segments(),
    store.cursors(),
    store.deadLetters(journal.id, { limit: DEAD_LETTER_COUNT_LIMIT }),
  ]);
  const own = cursors.find((c) => c.journalId === journal.id);
  const cursor = own?.offset ?? null;
  const from = Math.max(cursor ?? 0, journal.firstOffset);
  let lagRecords = 0;
  if (from < durableOffset) {
    for await (const _ of journal.readFrom(from, { end: durableOffset })) {
      if (++lagRecords >= LAG_COUNT_LIMIT) break;
    }
  }
  const latest = [...letters].sort((a, b) => b.offset - a.offset)
    .slice(0, options.deadLetterLimit ?? 5)
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
      cursor,
      lagBytes: Math.max(0, durableOffset - (cursor ?? journal.firstOffset)),
      lagRecords,
      lagRecordsCapped: lagRecords >= LAG_COUNT_LIMIT,
      lastCommitAt: own?.updatedAt ?? null,
    },
    cursors,
    deadLetters: { count: letters.length, latest },
  };
}
