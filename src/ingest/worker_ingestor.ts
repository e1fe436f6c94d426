/**
 * An opt-in ingestor on its own thread: the journal's writer stays on the
 * caller's event loop (the HTTP requests), and a worker reads the journal and
 * commits to Deno KV on the machine's other core. The same exactly-once
 * commits as {@linkcode Ingestor}, since the worker runs one.
 *
 * @module
 */
import type { IngestorOptions } from "./options.ts";

/** Options of {@linkcode WorkerIngestor.start}. */
export interface WorkerIngestorOptions {
  /** The journal directory (its writer may be open in this process). */
  walDir: string;
  /** The Deno KV the records go to: a SQLite path or an http(s) URL. */
  kv: string;
  /**
   * The worker's ingestor options (plain data: they are copied to the worker).
   * @default {}
   */
  ingestor?: Pick<IngestorOptions, "batchRecords" | "pollIntervalMs" | "consumer">;
  /**
   * Called with the message of each error of a background pass (errors cross
   * the thread as text).
   * @default console.error
   */
  onError?: (message: string) => void;
}

/** A request to the worker (internal). */
export type WorkerRequest =
  | {
    kind: "start";
    walDir: string;
    kv: string;
    options: NonNullable<WorkerIngestorOptions["ingestor"]>;
  }
  | { kind: "stop" };

/** A reply from the worker (internal). */
export type WorkerReply =
  | { kind: "started" }
  | { kind: "failed"; message: string }
  | { kind: "error"; message: string }
  | { kind: "stopped" };

/**
 * Runs an {@linkcode Ingestor} in a worker thread over a read-only view of
 * the journal, woken by the journal directory's changes.
 *
 * @example Ingest on the other core while this thread appends
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 * import { serializeVote } from "@stemedb/ingest/records";
 * import { KvStore } from "@stemedb/ingest/store";
 * import { WorkerIngestor } from "@stemedb/ingest/ingest";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(`${dir}/wal`);
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const ingestor = await WorkerIngestor.start({ walDir: `${dir}/wal`, kv: `${dir}/kv.sqlite` });
 * const assertion = "ab".repeat(32);
 * await journal.append(serializeVote({ assertion, voter: "ann", value: 1, timestamp: 1 }));
 * while ((await store.tally(assertion)).count === 0) {
 *   await new Promise((resolve) => setTimeout(resolve, 10));
 * }
 * assert.equal((await store.tally(assertion)).up, 1);
 * await ingestor.stop();
 * store.close();
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class WorkerIngestor {
  #worker: Worker;
  #running = true;
  #stopped: Promise<void> | null = null;
  #onStopped: (() => void) | null = null;
  /** The worker died of an uncaught error: nothing will answer a stop. */
  #dead = false;

  private constructor(worker: Worker, onError: (message: string) => void) {
    this.#worker = worker;
    worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      if (reply.kind === "error") onError(reply.message);
      else if (reply.kind === "stopped") this.#onStopped?.();
    };
    worker.onerror = (event) => {
      event.preventDefault();
      this.#running = false;
      this.#dead = true;
      onError(`The worker ingestor stopped: ${event.message}`);
      this.#onStopped?.();
    };
  }

  /**
   * Start the worker and its ingestor; resolves once both are open.
   *
   * @throws {Error} If the worker cannot open the journal or the store.
   */
  static async start(options: WorkerIngestorOptions): Promise<WorkerIngestor> {
    const worker = new Worker(new URL("./_ingest_worker.ts", import.meta.url), {
      type: "module",
    });
    const started = Promise.withResolvers<void>();
    worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      if (reply.kind === "started") started.resolve();
      else if (reply.kind === "failed") {
        started.reject(new Error(`Cannot start the worker ingestor: ${reply.message}`));
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      started.reject(new Error(`Cannot start the worker ingestor: ${event.message}`));
    };
    const request: WorkerRequest = {
      kind: "start",
      walDir: options.walDir,
      kv: options.kv,
      options: { ...options.ingestor },
    };
    worker.postMessage(request);
    try {
      await started.promise;
    } catch (error) {
      worker.terminate();
      throw error;
    }
    return new WorkerIngestor(worker, options.onError ?? console.error);
  }

  /** Whether the worker's ingestor runs (`false` once `stop()` was called or the worker died). */
  get running(): boolean {
    return this.#running;
  }

  /** Stop the ingestor (its pass in progress commits), close its handles, end the worker. Idempotent. */
  stop(): Promise<void> {
    this.#running = false;
    this.#stopped ??= new Promise<void>((resolve) => {
      if (this.#dead) return resolve();
      this.#onStopped = resolve;
      this.#worker.postMessage({ kind: "stop" } satisfies WorkerRequest);
    }).finally(() => this.#worker.terminate());
    return this.#stopped;
  }
}
