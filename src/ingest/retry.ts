/**
 * Retrying store calls that failed for a transient reason. Safe for commits
 * too: a retried commit carries the same versionstamp check, so if the first
 * attempt did apply, the retry fails the check instead of applying twice.
 *
 * @module
 */

import { telemetry } from "../telemetry/mod.ts";

/** Longest a call is retried before its error is passed on, in milliseconds. */
export const RETRY_LIMIT_MS = 30_000;

/**
 * Whether `error` is transient: another connection holds the SQLite write
 * lock of a local Deno KV file ("database is locked"), which happens when
 * several processes or `Deno.Kv` handles ingest into one file.
 */
export function isTransient(error: unknown): boolean {
  return error instanceof Error && /database is (locked|busy)/i.test(error.message);
}

/**
 * Call `fn`, retrying transient failures with a short jittered backoff; each
 * retry counts in `stemedb.ingest.retries` under `call`.
 */
export async function retrying<T>(
  fn: () => Promise<T>,
  signal?: AbortSignal,
  call = "read",
): Promise<T> {
  const start = performance.now();
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isTransient(e) || performance.now() - start > RETRY_LIMIT_MS || signal?.aborted) {
        throw e;
      }
      telemetry.retries.add(1, { call });
      const ms = Math.min(50, 1 + attempt * 2) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
  }
}
