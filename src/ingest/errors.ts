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
