/**
 * Deadlines and backoff for calls to Deno KV. Deno's remote client retries
 * network errors and 5xx without end and has no request timeout, so a call
 * to a remote that stopped answering would never settle: every store call
 * races a timer instead, and whoever retries backs off between attempts.
 *
 * @module
 */

import { KvTimeoutError } from "./kv_errors.ts";

/** Deadline of one call to Deno KV when none is given, in milliseconds. */
export const DEFAULT_KV_TIMEOUT_MS = 30_000;

/** First backoff delay before jitter, in milliseconds. */
export const BACKOFF_BASE_MS = 50;

/** Longest backoff delay, in milliseconds. */
export const BACKOFF_MAX_MS = 5_000;

/** Which call a deadline bounds, for its error. */
export interface DeadlineOptions {
  /** The store operation, named in the error. */
  operation: string;
  /** The KV called, without credentials. */
  target: string;
  /** The deadline, in milliseconds; `Infinity` for none. */
  timeoutMs: number;
}

/**
 * `call()`'s result, or a `KvTimeoutError` once `options.timeoutMs` has
 * passed. The call is not cancelled (nothing can cancel it): its late result
 * is dropped, and `onLate` receives it if given (to close a late `Deno.Kv`).
 *
 * @example Bound a call that never answers
 * ```ts
 * import { KvTimeoutError, withDeadline } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * let release = () => {};
 * const never = new Promise<void>((resolve) => release = resolve);
 * await assert.rejects(
 *   withDeadline(() => never, { operation: "get", target: "kv", timeoutMs: 10 }),
 *   KvTimeoutError,
 * );
 * release();
 * ```
 */
export function withDeadline<T>(
  call: () => Promise<T>,
  options: DeadlineOptions & { onLate?: (value: T) => void },
): Promise<T> {
  const promise = call();
  if (!Number.isFinite(options.timeoutMs)) return promise;
  return new Promise<T>((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new KvTimeoutError(options));
    }, options.timeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        if (late) options.onLate?.(value);
        else resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        if (!late) reject(error);
      },
    );
  });
}

/** Bounds of a backoff. */
export interface BackoffOptions {
  /**
   * First delay before jitter, in milliseconds.
   *
   * @default {BACKOFF_BASE_MS}
   */
  baseMs?: number;
  /**
   * Longest delay, in milliseconds.
   *
   * @default {BACKOFF_MAX_MS}
   */
  maxMs?: number;
}

/**
 * The delay before retry number `attempt` (0 first): exponential from
 * `baseMs`, capped at `maxMs`, with jitter (half to all of it) so that
 * several clients that failed together do not retry together.
 *
 * @example Delays grow and stay bounded
 * ```ts
 * import { BACKOFF_MAX_MS, backoffDelay } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * assert.ok(backoffDelay(0) <= 50);
 * assert.ok(backoffDelay(40) <= BACKOFF_MAX_MS);
 * assert.ok(backoffDelay(3, { baseMs: 1, maxMs: 4 }) <= 4);
 * ```
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { baseMs = BACKOFF_BASE_MS, maxMs = BACKOFF_MAX_MS } = options;
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return ceiling * (0.5 + Math.random() / 2);
}

/**
 * Wait `ms` milliseconds, or less if `signal` aborts.
 *
 * @example Wait a little
 * ```ts
 * import { sleep } from "@stemedb/ingest/store";
 *
 * await sleep(5);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
  });
}
