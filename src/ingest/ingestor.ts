/**
 * The ingestor: tails a journal into a KvStore, exactly once, as a background
 * loop (`start()` / `stop()`) or one pass at a time (`runOnce()`).
 *
 * @module
 */
import { type Journal, JournalWatcher } from "../wal/mod.ts";
import { backoffDelay, type KvStore, sleep } from "../store/mod.ts";
import { ingestPass, type PassStats } from "./ingest_pass.ts";
import { measureLag } from "./lag.ts";
import { cleanupSegments } from "./cleanup.ts";
import type { IngestorOptions, IngestReport, IngestStall, Lag, RunOnceOptions } from "./options.ts";
import { retrying } from "./retry.ts";
import { Waiters, type WaitForOptions } from "./waiters.ts";
import { stallOf } from "./stall.ts";

/**
 * Applies a journal's durable records to a {@linkcode KvStore}, each exactly
 * once: every commit carries its records' mutations and the new cursor, with a
 * versionstamp check on the cursor key, so overlapping passes, several
 * ingestors on one journal, or a commit retried behind our back can never
 * apply a record twice or skip one. Poison records go to dead letters.
 *
 * @example Tail a journal in the background
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 * import { serializeVote } from "@stemedb/ingest/records";
 * import { KvStore } from "@stemedb/ingest/store";
 * import { Ingestor } from "@stemedb/ingest/ingest";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(`${dir}/wal`);
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const ingestor = new Ingestor(journal, store, { pollIntervalMs: 20 });
 * ingestor.start();
 * const assertion = "ab".repeat(32);
 * const vote = serializeVote({ assertion, voter: "ann", value: 1, timestamp: 1 });
 * const { offset } = await journal.append(vote);
 * await ingestor.waitFor(offset, { timeoutMs: 10_000 });
 * assert.equal((await store.tally(assertion)).up, 1);
 * await ingestor.stop();
 * store.close();
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class Ingestor {
  #journal: Journal;
  #store: KvStore;
  #options: IngestorOptions;
  #stats: PassStats = { recordsRead: 0, bytesRead: 0, lastCommitAt: null };
  #running: Promise<IngestReport> | null = null;
  #loop: Promise<void> | null = null;
  #halt: AbortController | null = null;
  #wake: (() => void) | null = null;
  #woken = false;
  #waiters = new Waiters();
  /** The error that stalled the ingestor (`CorruptJournalError`, `CursorAheadError`). */
  #stall: Error | null = null;

  /** An ingestor of `journal` into `store`; nothing runs until `start()` or `runOnce()`. */
  constructor(journal: Journal, store: KvStore, options: IngestorOptions = {}) {
    const { batchRecords, pollIntervalMs } = options;
    if (batchRecords !== undefined && !(batchRecords >= 1)) {
      throw new RangeError(
        `Cannot create ingestor: batchRecords "${batchRecords}" is not at least 1`,
      );
    }
    if (pollIntervalMs !== undefined && !(pollIntervalMs >= 0)) {
      throw new RangeError(
        `Cannot create ingestor: pollIntervalMs "${pollIntervalMs}" is negative`,
      );
    }
    this.#journal = journal;
    this.#store = store;
    this.#options = options;
  }

  /** Whether the background loop is running. */
  get running(): boolean {
    return this.#loop !== null;
  }

  /**
   * Where and why the ingestor stopped, `null` while it has not: at damage
   * in its journal (`CorruptJournalError`), or at a cursor past the
   * journal's durable end (`CursorAheadError`). Every later pass rejects
   * with the same error without reading, until the journal and the ingestor
   * are reopened: a cut journal that grew back past the cursor must not
   * resume from it, since the records appended below it would be skipped.
   */
  get stalled(): IngestStall | null {
    return this.#stall === null ? null : stallOf(this.#stall);
  }

  /**
   * Start the background loop: a pass, then wait for the poll interval or a
   * change in the journal directory, and again. Does nothing if it already
   * runs or `options.signal` is aborted. Errors go to `options.onError`.
   */
  start(): void {
    if (this.#loop !== null || this.#options.signal?.aborted) return;
    const halt = new AbortController();
    this.#halt = halt;
    const signals = [halt.signal];
    if (this.#options.signal) signals.push(this.#options.signal);
    const signal = AbortSignal.any(signals);
    this.#loop = this.#runLoop(signal).finally(() => {
      this.#loop = null;
      this.#halt = null;
    });
  }

  /** Stop the background loop; resolves once the pass in progress (if any) has committed and the watcher is closed. */
  async stop(): Promise<void> {
    this.#halt?.abort();
    this.#wake?.();
    await this.#loop;
  }

  /**
   * One pass from the committed cursor to the durable end, or until
   * `maxRecords` records or `timeBudgetMs` milliseconds: for `Deno.cron` and
   * other schedulers. Safe when passes overlap, in this process or another;
   * a call overlapping a pass of this same Ingestor waits for it instead of
   * racing it (the report says `joined`). Rejects with `KvTimeoutError`
   * when a store call passes its deadline, with `CorruptJournalError` once
   * the journal's damage stalled the ingestor, and with `CursorAheadError`
   * when the cursor is past the journal's durable end.
   */
  runOnce(options: RunOnceOptions = {}): Promise<IngestReport> {
    return this.#pass(options, this.#options.signal);
  }

  /**
   * How far the committed cursor is behind the journal's durable end, and
   * the stall, if any. Bounded by the store's deadline.
   */
  async lag(): Promise<Lag> {
    const lag = await measureLag(this.#journal, this.#store, { stats: this.#stats });
    const stalled = this.stalled;
    return stalled === null ? lag : { ...lag, stalled };
  }

  /**
   * Resolves once the record at journal `offset` (an `AppendResult.offset`)
   * is applied (or dead-lettered): at once if the committed cursor is already
   * past it, else as soon as a commit of this ingestor's background loop, or
   * of a `runOnce()` in progress, moves the cursor past it.
   *
   * @throws {IngestWaitError} Kind `"timeout"` after `options.timeoutMs`;
   * `"stopped"` if neither the background loop nor a pass runs, or the loop
   * stops first; `"failed"` if a pass fails first (the error is the cause).
   * Rejects with `options.signal.reason` when it is aborted.
   *
   * @example Wait until an appended record is queryable
   * ```ts
   * import assert from "node:assert/strict";
   * import { Journal } from "@stemedb/ingest/wal";
   * import { serializeEpoch } from "@stemedb/ingest/records";
   * import { KvStore } from "@stemedb/ingest/store";
   * import { Ingestor } from "@stemedb/ingest/ingest";
   *
   * const dir = await Deno.makeTempDir();
   * const journal = await Journal.open(`${dir}/wal`);
   * const store = await KvStore.open(`${dir}/kv.sqlite`);
   * const ingestor = new Ingestor(journal, store);
   * ingestor.start();
   * const epoch = { id: "0a", name: "modern", description: "", startTime: 0 };
   * const { offset } = await journal.append(serializeEpoch(epoch));
   * await ingestor.waitFor(offset, { timeoutMs: 10_000 });
   * assert.equal((await store.getEpoch("0a"))?.name, "modern");
   * await ingestor.stop();
   * store.close();
   * await journal.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  waitFor(offset: number, options: WaitForOptions = {}): Promise<void> {
    return this.#waiters.wait(offset, options, async () => {
      const { offset: cursor } = await retrying(() => this.#store.readCursor(this.#journal.id), {
        limitMs: this.#store.timeoutMs,
      });
      if (cursor !== null) this.#waiters.reached(cursor);
      if (this.#loop === null && this.#running === null) this.#waiters.fail("stopped");
    });
  }

  #pass(options: RunOnceOptions, signal: AbortSignal | undefined): Promise<IngestReport> {
    if (this.#running !== null) {
      return this.#running.then(
        (r) => ({
          ...r,
          applied: 0,
          deadLettered: 0,
          commits: 0,
          conflicts: 0,
          from: r.to,
          joined: true,
        }),
      );
    }
    const run = this.#work(options, signal).then((report) => {
      this.#waiters.reached(report.to);
      return report;
    }, (e) => {
      this.#waiters.fail("failed", e);
      throw e;
    }).finally(() => {
      this.#running = null;
      // Nobody moves the cursor between runOnce() calls: waits would hang.
      if (this.#loop === null) this.#waiters.fail("stopped");
    });
    this.#running = run;
    return run;
  }

  async #work(options: RunOnceOptions, signal: AbortSignal | undefined): Promise<IngestReport> {
    if (this.#stall !== null) throw this.#stall;
    const report = await ingestPass({
      journal: this.#journal,
      store: this.#store,
      batchRecords: this.#options.batchRecords,
      signal,
      stats: this.#stats,
      consumer: this.#options.consumer ?? "ingestor",
      onCommit: (cursor) => this.#waiters.reached(cursor),
    }, options).catch((e) => {
      // The reader verifies sealed segments as it goes: damage there cannot
      // heal by retrying, so stop applying this journal rather than spin; nor
      // can a cut journal, which only an operator's rewind of the cursor mends.
      if (stallOf(e) !== null) this.#stall = e as Error;
      throw e;
    });
    const { cleanup = false } = this.#options;
    if (report.commits > 0 && cleanup !== false && !this.#journal.readOnly) {
      await cleanupSegments(this.#journal, this.#store, cleanup === true ? {} : cleanup);
    }
    return report;
  }

  async #runLoop(signal: AbortSignal): Promise<void> {
    const { pollIntervalMs = 250, watch = true, onError = console.error } = this.#options;
    // In-process the writer tells us the moment a group commit is durable; a
    // reader's writer is another process, so the directory watch is the hint.
    const journal = this.#journal;
    const wake = () => this.#signalWake();
    const unsubscribe = watch && !journal.readOnly ? journal.onDurable(wake) : null;
    const watcher = watch && journal.readOnly ? new JournalWatcher(journal.dir, wake) : null;
    try {
      let failures = 0;
      while (!signal.aborted && this.#stall === null) {
        this.#woken = false;
        let again = false;
        try {
          const report = await this.#pass({}, signal);
          again = !report.caughtUp && !report.joined;
          failures = 0;
        } catch (e) {
          if (!signal.aborted) onError(e);
          if (this.#stall !== null) break;
          // A failing remote is not hammered: back off, whatever wakes us.
          await sleep(Math.max(pollIntervalMs, backoffDelay(failures++)), signal);
          continue;
        }
        if (!again) await this.#sleep(pollIntervalMs, signal);
      }
      // Stalled on damage: stay "running" (stop() still works) without reading again.
      if (!signal.aborted) {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      }
    } finally {
      unsubscribe?.();
      await watcher?.close();
      this.#waiters.fail("stopped");
    }
  }

  #signalWake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Wait `ms`, or less if the journal changed (also during the pass) or the loop is stopped. */
  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#woken || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done);
      this.#wake = done;
    });
  }
}
