/**
 * Options and result types of the ingestor.
 *
 * @module
 */

/** Cleanup settings: which sealed journal segments the ingestor may delete. */
export interface CleanupOptions {
  /**
   * Bytes of already-consumed log to keep below the lowest consumer offset
   * (for replay or inspection). Segments are removed only when they lie wholly
   * below `lowest consumer offset − retainBytes`.
   * @default {0}
   */
  retainBytes?: number;
  /**
   * Milliseconds a sealed segment is kept after it was sealed, even once
   * every consumer has read it. With `retainBytes` too, a segment goes only
   * when both let it.
   * @default {undefined} (no time retention)
   */
  retainMs?: number;
}

/** Options of {@linkcode Ingestor}. */
export interface IngestorOptions {
  /**
   * Name under which this ingestor registers its offset in the store's
   * consumer registry; cleanup keeps every segment some registered consumer
   * of the journal has not read yet.
   * @default {"ingestor"}
   */
  consumer?: string;
  /**
   * Largest number of records packed into one atomic commit. Batches are
   * always also cut to fit Deno KV's limits (mutations, bytes, key bytes).
   * @default {Infinity} (only the KV limits cut batches)
   */
  batchRecords?: number;
  /**
   * Period of the background loop started by `start()`, in milliseconds:
   * how often it looks for new durable records when nothing woke it earlier.
   * @default {250}
   */
  pollIntervalMs?: number;
  /**
   * Wake the background loop as soon as new records are durable: through
   * `journal.onDurable()` when the journal is this process's writer, through
   * `Deno.watchFs` on the journal directory when it is a reader (a hint only:
   * polling still runs).
   * @default {true}
   */
  watch?: boolean;
  /**
   * Delete sealed segments every registered consumer has read, after
   * commits. Only a writable journal can be cleaned; for a read-only one this
   * is ignored. `true` means `{ retainBytes: 0 }`.
   * @default {false}
   */
  cleanup?: boolean | CleanupOptions;
  /**
   * Stops the background loop started by `start()` when aborted (as `stop()`
   * does) and makes `runOnce()` stop between commits.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Receives errors the background loop meets. It backs off (exponentially,
   * with jitter, from 50 ms to 5 s, never less than the poll interval) and
   * retries; after damage in the journal (`CorruptJournalError`) it stops
   * applying it and reports the stall in `lag()`. `runOnce()` rejects instead.
   * @default {undefined} (errors are logged with `console.error`)
   */
  onError?: (error: unknown) => void;
}

/** Options of one pass, `Ingestor.runOnce()`. */
export interface RunOnceOptions {
  /**
   * Stop after this many records (applied or dead-lettered). The pass always
   * ends on a record boundary, with everything it read committed.
   * @default {Infinity}
   */
  maxRecords?: number;
  /**
   * Stop reading new records once this many milliseconds have passed since
   * the pass began; the batch in hand is still committed.
   * @default {Infinity}
   */
  timeBudgetMs?: number;
}

/** What one pass (`runOnce()`) did. */
export interface IngestReport {
  /** Records whose mutations this pass committed. */
  applied: number;
  /** Records this pass sent to the dead-letter keys. */
  deadLettered: number;
  /** Successful atomic commits. */
  commits: number;
  /**
   * Commits rejected by the cursor versionstamp check (another ingestor, or a
   * commit retried behind our back, moved the cursor); the pass re-read the
   * cursor and carried on from there.
   */
  conflicts: number;
  /** Cursor offset when the pass began. */
  from: number;
  /** Cursor offset when the pass ended. */
  to: number;
  /** Whether the cursor reached the journal's durable end as known at the end of the pass. */
  caughtUp: boolean;
  /**
   * `true` when this call overlapped a pass already running on the same
   * Ingestor: it waited for that pass and did no work itself (its counts are
   * zero; `from`, `to` and `caughtUp` describe where that pass left off).
   */
  joined: boolean;
}

/**
 * Why an ingestor stopped applying its journal: `"corrupt-journal"`, a
 * sealed segment holds damaged bytes where acknowledged data should be
 * (`CorruptJournalError`); `"cursor-ahead"`, the store's cursor is past the
 * journal's durable end, which was cut below records already applied
 * (`CursorAheadError`).
 */
export type IngestStallKind = "corrupt-journal" | "cursor-ahead";

/**
 * Where and why an ingestor stopped applying its journal. Sticky until the
 * journal and the ingestor are reopened (after `repair`, or after
 * `rewindCursor()` for `"cursor-ahead"`).
 */
export interface IngestStall {
  /** Why it stopped. */
  kind: IngestStallKind;
  /** Segment file holding the damage; for `"cursor-ahead"`, the journal directory. */
  file: string;
  /**
   * Offset of the record that failed verification (the cursor cannot pass
   * it); for `"cursor-ahead"`, the cursor.
   */
  offset: number;
  /** What failed (`"crc mismatch"`, `"digest mismatch"`, `"cursor past the durable end 800"`, …). */
  reason: string;
  /** For `"cursor-ahead"`: the journal's durable end, where `rewindCursor()` moves the cursor. */
  durableOffset?: number;
}

/** How far the ingestor is behind its journal. */
export interface Lag {
  /** Durable bytes not yet applied: `durableOffset − cursor`. */
  bytes: number;
  /**
   * Records not yet applied: an estimate, `bytes` divided by the mean record
   * size this ingestor has seen (exact when it is 0); `undefined` before this
   * ingestor has read any record and while bytes are behind.
   */
  records?: number;
  /**
   * Set when records were counted up to a limit (the `status` views): whether
   * counting stopped there, so `records` is a lower bound.
   */
  recordsCapped?: boolean;
  /** The committed cursor (where the next pass starts). */
  cursor: number;
  /** The journal's durable end (for a read-only journal, after a refresh). */
  durableOffset: number;
  /** When the cursor was last committed (ms since the epoch), `null` if never. */
  lastCommitAt: number | null;
  /**
   * Set when the ingestor stopped at damage in the journal, or its cursor is
   * past the journal's durable end: where and why.
   */
  stalled?: IngestStall;
}
