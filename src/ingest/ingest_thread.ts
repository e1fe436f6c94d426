/**
 * The ingestor on a worker thread of the process, the writer staying where
 * it is: the thread opens the journal as a reader and its own store on the
 * same location, and runs an ordinary `Ingestor` there; this side tells it of
 * each durable advance and keeps, from what it reports, the cursor that
 * `waitFor()` answers from, its stall and its failure. Cleanup, which deletes
 * segments and so needs the writer, runs here after the thread's commits.
 *
 * @module
 */

import type { Journal } from "../wal/mod.ts";
import type { KvStore } from "../store/mod.ts";
import { cleanupSegments } from "./cleanup.ts";
import type { CleanupOptions, IngestStall } from "./options.ts";
import { retrying } from "./retry.ts";
import { Waiters, type WaitForOptions } from "./waiters.ts";

const WORKER = new URL("./_ingest_thread_worker.ts", import.meta.url);

/** Longest `stop()` waits for the thread's pass in progress by default, in milliseconds. */
const DEFAULT_STOP_MS = 5000;

/** What this side sends the thread. */
export type IngestThreadMessage =
  | {
    kind: "start";
    journalDir: string;
    kv: string;
    kvTimeoutMs?: number;
    pollIntervalMs?: number;
    batchRecords?: number;
    /** An `Int32Array`'s buffer: bumped and notified on each durable advance. */
    durableCounter: SharedArrayBuffer;
  }
  | { kind: "stop" };

/** What the thread reports. */
export type IngestThreadReport =
  | { kind: "ready" }
  | { kind: "started" }
  | { kind: "committed"; cursor: number }
  | { kind: "error"; name: string; message: string; stalled: IngestStall | null }
  | { kind: "stopped" }
  | { kind: "failed"; message: string };

/** Options of {@linkcode IngestThread.start}. */
export interface IngestThreadOptions {
  /** Where the store lives, as `KvStore.open()` takes it: a SQLite path or an http(s) URL. */
  kv: string;
  /**
   * Deadline of each store call in the thread, in milliseconds.
   * @default {undefined} (the store's default)
   */
  kvTimeoutMs?: number;
  /**
   * Period of the thread's poll, in milliseconds.
   * @default {250}
   */
  pollIntervalMs?: number;
  /**
   * Largest number of records in one commit; see `IngestorOptions.batchRecords`.
   * @default {Infinity}
   */
  batchRecords?: number;
  /**
   * Delete sealed segments every consumer has read, after the thread's
   * commits; see `IngestorOptions.cleanup`.
   * @default {false}
   */
  cleanup?: boolean | CleanupOptions;
  /**
   * Receives the errors the thread's loop meets (it retries, as an
   * `Ingestor` does) and the thread's own failure.
   * @default {undefined} (errors are logged with `console.error`)
   */
  onError?: (error: unknown) => void;
  /**
   * Longest `stop()` waits for the thread to finish its pass, in
   * milliseconds; then the thread is ended (a commit it was making either
   * landed or did not: the cursor check applies each record once).
   * @default {5000}
   */
  stopTimeoutMs?: number;
}

/**
 * An `Ingestor` of a journal this thread writes, running on a worker thread.
 * `waitFor()`, `running` and `stalled` read as an in-process ingestor's do.
 *
 * @example Ingest on a second thread
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 * import { serializeEpoch } from "@stemedb/ingest/records";
 * import { KvStore } from "@stemedb/ingest/store";
 * import { IngestThread } from "@stemedb/ingest/ingest";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(`${dir}/wal`);
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const thread = await IngestThread.start(journal, store, { kv: `${dir}/kv.sqlite` });
 * const epoch = { id: "0b", name: "late", description: "", startTime: 0 };
 * const { offset } = await journal.append(serializeEpoch(epoch));
 * await thread.waitFor(offset, { timeoutMs: 10_000 });
 * assert.equal((await store.getEpoch("0b"))?.name, "late");
 * await thread.stop();
 * store.close();
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class IngestThread {
  #worker: Worker;
  #journal: Journal;
  #store: KvStore;
  #options: IngestThreadOptions;
  #counter: Int32Array;
  #waiters = new Waiters();
  #running = true;
  #stall: IngestStall | null = null;
  #failure: Error | null = null;
  #unsubscribe: () => void;
  #reply: ((report: IngestThreadReport) => void) | null = null;
  #stopping: Promise<void> | null = null;
  #cleaning: Promise<void> | null = null;
  #cleanAgain = false;
  /** The highest cursor the thread reported. */
  #cursor = -1;

  private constructor(
    worker: Worker,
    journal: Journal,
    store: KvStore,
    options: IngestThreadOptions,
    counter: Int32Array,
  ) {
    this.#worker = worker;
    this.#journal = journal;
    this.#store = store;
    this.#options = options;
    this.#counter = counter;
    worker.onmessage = (event: MessageEvent<IngestThreadReport>) => this.#report(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(
        new Error(`The ingest thread of journal "${journal.dir}" failed: ${event.message}`),
      );
    };
    // One add and one notify per durable advance: nothing cloned, nothing queued.
    this.#unsubscribe = journal.onDurable(() => {
      Atomics.add(counter, 0, 1);
      Atomics.notify(counter, 0);
    });
  }

  /**
   * Start the thread ingesting `journal` (open here as its writer) into the
   * store at `options.kv`, which `store` (used here for `waitFor()` and
   * cleanup) also opens. Resolves once the thread's ingestor runs.
   *
   * @throws {TypeError} If `journal` is read-only.
   * @throws {Error} If the thread cannot open the journal or the store.
   */
  static async start(
    journal: Journal,
    store: KvStore,
    options: IngestThreadOptions,
  ): Promise<IngestThread> {
    if (journal.readOnly) {
      throw new TypeError(
        `Cannot start an ingest thread of journal "${journal.dir}": it is open read-only, ` +
          "and the thread is woken by its writer",
      );
    }
    const counter = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    const worker = new Worker(WORKER, { type: "module" });
    const started = new IngestThread(worker, journal, store, options, counter);
    try {
      const ready = await started.#next();
      if (ready.kind !== "ready") throw new Error(`the thread said "${ready.kind}" at start`);
      const reply = started.#next();
      worker.postMessage(
        {
          kind: "start",
          journalDir: journal.dir,
          kv: options.kv,
          kvTimeoutMs: options.kvTimeoutMs,
          pollIntervalMs: options.pollIntervalMs,
          batchRecords: options.batchRecords,
          durableCounter: counter.buffer as SharedArrayBuffer,
        } satisfies IngestThreadMessage,
      );
      const report = await reply;
      if (report.kind !== "started") {
        throw new Error(report.kind === "failed" ? report.message : `it said "${report.kind}"`);
      }
    } catch (error) {
      started.#end();
      throw new Error(
        `Cannot start an ingest thread of journal "${journal.dir}": ${(error as Error).message}`,
        { cause: error },
      );
    }
    return started;
  }

  /** Whether the thread's ingestor runs (false once stopped, or if the thread failed). */
  get running(): boolean {
    return this.#running;
  }

  /** Where and why the thread's ingestor stopped applying the journal; see `Ingestor.stalled`. */
  get stalled(): IngestStall | null {
    return this.#stall;
  }

  /** Why the thread itself failed, `null` while it has not; sticky. */
  get failure(): Error | null {
    return this.#failure;
  }

  /**
   * Resolves once the record at journal `offset` is applied, as
   * `Ingestor.waitFor()` does: at once if the committed cursor is past it,
   * else when the thread reports a commit that moves it past.
   *
   * @throws {IngestWaitError} Kind `"timeout"` after `options.timeoutMs`;
   * `"stopped"` once stopped; `"failed"` if a pass of the thread fails first,
   * or the thread has failed.
   */
  waitFor(offset: number, options: WaitForOptions = {}): Promise<void> {
    return this.#waiters.wait(offset, options, async () => {
      const { offset: cursor } = await retrying(() => this.#store.readCursor(this.#journal.id));
      if (cursor !== null) this.#waiters.reached(cursor);
      if (this.#failure !== null) this.#waiters.fail("failed", this.#failure);
      else if (!this.#running) this.#waiters.fail("stopped");
    });
  }

  /**
   * Stop the thread: its pass in progress commits (within
   * `options.stopTimeoutMs`), it closes its journal and store, and ends.
   * Idempotent; never rejects.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#failure === null) {
      const ms = this.#options.stopTimeoutMs ?? DEFAULT_STOP_MS;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<null>((resolve) => timer = setTimeout(resolve, ms, null));
      const reply = this.#next();
      this.#worker.postMessage({ kind: "stop" } satisfies IngestThreadMessage);
      const report = await Promise.race([reply, deadline]);
      clearTimeout(timer);
      if (report === null) {
        this.#onError(
          new Error(
            `Cannot stop the ingest thread of journal "${this.#journal.dir}" within ${ms} ms: ended it`,
          ),
        );
      } else if (report.kind === "failed" && this.#failure === null) {
        this.#onError(new Error(`Cannot stop the ingest thread: ${report.message}`));
      }
    }
    this.#end();
    await this.#cleaning;
  }

  /** End the thread and what waits on it. */
  #end(): void {
    this.#running = false;
    this.#unsubscribe();
    this.#worker.terminate();
    if (this.#failure === null) this.#waiters.fail("stopped");
  }

  /** The thread's next reply to a start or a stop. */
  #next(): Promise<IngestThreadReport> {
    return new Promise((resolve) => this.#reply = resolve);
  }

  #report(report: IngestThreadReport): void {
    if (report.kind === "committed") {
      this.#cursor = Math.max(this.#cursor, report.cursor);
      this.#waiters.reached(report.cursor);
      this.#cleanSoon();
    } else if (report.kind === "error") {
      const error = new Error(report.message);
      error.name = report.name;
      // Sticky, as the thread's ingestor keeps it until reopened.
      this.#stall ??= report.stalled;
      this.#waiters.fail("failed", error);
      this.#onError(error);
    } else {
      const reply = this.#reply;
      this.#reply = null;
      reply?.(report);
    }
  }

  #fail(error: Error): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    this.#running = false;
    this.#waiters.fail("failed", error);
    // A start or stop waiting for a reply gets none: let it go on.
    this.#reply?.({ kind: "failed", message: error.message });
    this.#reply = null;
    this.#onError(error);
  }

  #onError(error: unknown): void {
    (this.#options.onError ?? console.error)(error);
  }

  /**
   * Cleanup after a commit, one run at a time (commits meanwhile ask for one
   * more), and only when a sealed segment lies wholly below the cursor: what
   * else could it delete? Errors go to `onError`; the next commit retries.
   */
  #cleanSoon(): void {
    const { cleanup = false } = this.#options;
    if (cleanup === false || this.#journal.closed) return;
    if (this.#cleaning !== null) {
      this.#cleanAgain = true;
      return;
    }
    const retention = cleanup === true ? {} : cleanup;
    this.#cleaning = (async () => {
      do {
        this.#cleanAgain = false;
        const segments = await this.#journal.segments();
        if (!segments.some((s) => s.sealed && s.end <= this.#cursor)) continue;
        await cleanupSegments(this.#journal, this.#store, retention);
      } while (this.#cleanAgain && !this.#journal.closed);
    })().catch((error) => this.#onError(error)).finally(() => this.#cleaning = null);
  }
}
