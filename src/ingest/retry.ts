/**
 * Retrying store calls that failed for a transient reason. Safe for commits
 * too: a retried commit carries the same versionstamp check, so if the first
 * attempt did apply, the retry fails the check instead of applying twice.
 *
 * @module
 */

import { telemetry } from "../telemetry/mod.ts";
import { backoffDelay, kvFailureKind } from "../store/mod.ts";

/**
 * Longest a call is retried before its error is passed on, in milliseconds,
 * unless the store's deadline is shorter (`RetryOptions.limitMs`).
 */
export const RETRY_LIMIT_MS = 30_000;

/**
 * Whether `error` is transient: another connection holds the SQLite write
 * lock of a local Deno KV file ("database is locked"), which happens when
 * several processes or `Deno.Kv` handles ingest into one file, or a remote
 * KV's answer was lost or cut. A call past its deadline is not: it is passed
 * on, so that a remote that stopped answering surfaces instead of hanging.
 */
export function isTransient(error: unknown): boolean {
  return kvFailureKind(error) === "transient";
}

/**
 * Backoff between retries of a transient failure: short, because a SQLite
 * write lock is held for a commit's length only.
 */
const RETRY_BACKOFF = { baseMs: 2, maxMs: 250 };

/** Options of {@linkcode retrying}. */
export interface RetryOptions {
  /** Once aborted, a failure is passed on instead of retried. @default {undefined} */
  signal?: AbortSignal;
  /** The call, as `stemedb.ingest.retries` counts it. @default {"read"} */
  call?: string;
  /**
   * The deadline of the store called (`KvStore.timeoutMs`): failures are
   * retried for at most this long (and at most `RETRY_LIMIT_MS`), so that a
   * remote whose every answer is cut fails within the deadline, as one that
   * stopped answering does.
   *
   * @default {RETRY_LIMIT_MS}
   */
  limitMs?: number;
}

/**
 * Call `fn`, retrying transient failures with a jittered exponential backoff;
 * each retry counts in `stemedb.ingest.retries` under `options.call`.
 */
export async function retrying<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { signal, call = "read" } = options;
  const limitMs = Math.min(RETRY_LIMIT_MS, options.limitMs ?? RETRY_LIMIT_MS);
  const start = performance.now();
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isTransient(e) || performance.now() - start > limitMs || signal?.aborted) {
        throw e;
      }
      telemetry.retries.add(1, { call });
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, RETRY_BACKOFF)));
    }
  }
}
