/**
 * Typed errors of the ingestor, read by `kind`.
 *
 * @module
 */

/**
 * Why `Ingestor.waitFor()` gave up before the record was applied:
 * `"timeout"` (its `timeoutMs` passed), `"stopped"` (the background loop is
 * not running, or stopped while waiting) or `"failed"` (a pass failed; the
 * error is the `cause`).
 *
 * @example Retry a wait only when it timed out
 * ```ts
 * import assert from "node:assert/strict";
 * import { IngestWaitError, type IngestWaitErrorKind } from "@stemedb/ingest/ingest";
 *
 * const retryable = (kind: IngestWaitErrorKind) => kind === "timeout";
 * assert.equal(retryable(new IngestWaitError("stopped", 0, "stopped").kind), false);
 * ```
 */
export type IngestWaitErrorKind = "timeout" | "stopped" | "failed";

/**
 * `Ingestor.waitFor()` gave up before the record at `offset` was applied.
 *
 * @example Tell a timeout from a stopped ingestor
 * ```ts
 * import assert from "node:assert/strict";
 * import { IngestWaitError } from "@stemedb/ingest/ingest";
 *
 * const error = new IngestWaitError("timeout", 42, "Cannot wait for offset 42: timed out");
 * assert.equal(error.kind, "timeout");
 * assert.equal(error.offset, 42);
 * ```
 */
export class IngestWaitError extends Error {
  /** Why the wait ended. */
  readonly kind: IngestWaitErrorKind;
  /** The journal offset that was waited for. */
  readonly offset: number;
  /** Construct a wait error. */
  constructor(kind: IngestWaitErrorKind, offset: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "IngestWaitError";
    this.kind = kind;
    this.offset = offset;
  }
}

/** Where a {@linkcode CursorAheadError} was met. */
export interface CursorAhead {
  /** Id of the journal. */
  journalId: string;
  /** Directory of the journal. */
  dir: string;
  /** The committed cursor. */
  cursor: number;
  /** The journal's durable end, below the cursor. */
  durableOffset: number;
}

/**
 * The store's cursor of a journal is past the journal's durable end: the
 * journal was cut below records already applied (a point-in-time repair, or
 * a restore from an older copy). Records appended from the end on would land
 * below the cursor and never be ingested, so the ingestor refuses to go on
 * until the cursor is moved back with `rewindCursor()` (`stemedb ingest
 * --rewind-cursor`). What the cut records did stays in Deno KV.
 *
 * @example Tell a cut journal from other failures
 * ```ts
 * import assert from "node:assert/strict";
 * import { CursorAheadError } from "@stemedb/ingest/ingest";
 *
 * const error = new CursorAheadError({
 *   journalId: "ab".repeat(16),
 *   dir: "data/wal",
 *   cursor: 4_000,
 *   durableOffset: 1_200,
 * });
 * assert.equal(error.cursor - error.durableOffset, 2_800);
 * assert.match(error.message, /stemedb ingest --rewind-cursor/);
 * ```
 */
export class CursorAheadError extends Error {
  /** Id of the journal. */
  readonly journalId: string;
  /** Directory of the journal. */
  readonly dir: string;
  /** The committed cursor. */
  readonly cursor: number;
  /** The journal's durable end, below the cursor. */
  readonly durableOffset: number;

  /** An error for the journal and offsets of `at`. */
  constructor(at: CursorAhead, options?: ErrorOptions) {
    super(
      `Cannot ingest journal "${at.dir}": its cursor ${at.cursor} is past the journal's ` +
        `durable end ${at.durableOffset}, so the journal was cut below records already applied ` +
        "(a point-in-time repair, or a restore from an older copy); before anything is appended " +
        `to it, move the cursor back to ${at.durableOffset} with "stemedb ingest ` +
        '--rewind-cursor" (rewindCursor() in the library), then restart the ingestor',
      options,
    );
    this.name = "CursorAheadError";
    this.journalId = at.journalId;
    this.dir = at.dir;
    this.cursor = at.cursor;
    this.durableOffset = at.durableOffset;
  }
}
