/**
 * Callers waiting for the ingest cursor to pass a journal offset: the one
 * mechanism behind `Ingestor.waitFor()` (and so behind HTTP's
 * `?wait=ingested`). The ingestor reports every cursor it commits or reads
 * and when its loop stops or a pass fails; each waiter settles once.
 *
 * @module
 */
import { IngestWaitError } from "./errors.ts";

/**
 * Options of `Ingestor.waitFor()`.
 *
 * @example Wait at most five seconds, or until the caller gives up
 * ```ts
 * import type { WaitForOptions } from "@stemedb/ingest/ingest";
 *
 * const controller = new AbortController();
 * const options: WaitForOptions = { timeoutMs: 5_000, signal: controller.signal };
 * console.assert(options.timeoutMs === 5_000);
 * ```
 */
export interface WaitForOptions {
  /**
   * Stops waiting when aborted: the promise rejects with `signal.reason`.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Longest wait, in milliseconds; then it rejects with an
   * {@linkcode IngestWaitError} of kind `"timeout"`.
   * @default {Infinity}
   */
  timeoutMs?: number;
}

interface Waiter {
  offset: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** Pending waits on one ingestor's cursor. */
export class Waiters {
  #pending = new Set<Waiter>();
  /** Highest cursor seen: the offset of the next record to apply. */
  #cursor = -1;

  /**
   * A promise that resolves once a cursor above `offset` is reported (the
   * record at `offset` is then applied) and rejects on timeout, abort, stop or
   * failure. `check()` runs after registration, so a cursor reported meanwhile
   * is not missed.
   */
  wait(
    offset: number,
    options: WaitForOptions,
    check: () => Promise<void>,
  ): Promise<void> {
    const { signal, timeoutMs = Infinity } = options;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      return Promise.reject(
        new RangeError(`Cannot wait for offset "${offset}": not a non-negative integer`),
      );
    }
    if (!(timeoutMs >= 0)) {
      return Promise.reject(
        new RangeError(`Cannot wait for offset ${offset}: timeoutMs "${timeoutMs}" is negative`),
      );
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#cursor > offset) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => waiter.reject(signal!.reason);
      const done = () => {
        this.#pending.delete(waiter);
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = {
        offset,
        resolve: () => {
          done();
          resolve();
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      this.#pending.add(waiter);
      signal?.addEventListener("abort", onAbort);
      if (timeoutMs !== Infinity) {
        timer = setTimeout(() =>
          waiter.reject(
            new IngestWaitError(
              "timeout",
              offset,
              `Cannot wait for offset ${offset}: not applied within ${timeoutMs} ms`,
            ),
          ), timeoutMs);
      }
      check().catch((e) => waiter.reject(e));
    });
  }

  /** The cursor is at least `cursor`: settle every waiter below it. */
  reached(cursor: number): void {
    if (cursor <= this.#cursor) return;
    this.#cursor = cursor;
    for (const waiter of [...this.#pending]) {
      if (cursor > waiter.offset) waiter.resolve();
    }
  }

  /** Reject every waiter with an {@linkcode IngestWaitError} of `kind`. */
  fail(kind: "stopped" | "failed", cause?: unknown): void {
    for (const waiter of [...this.#pending]) {
      const why = kind === "stopped"
        ? "the ingestor is not running (start() it, or it was stopped)"
        : `a pass failed: ${cause instanceof Error ? cause.message : String(cause)}`;
      waiter.reject(
        new IngestWaitError(
          kind,
          waiter.offset,
          `Cannot wait for offset ${waiter.offset}: ${why}`,
          {
            cause,
          },
        ),
      );
    }
  }
}
