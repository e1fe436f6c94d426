/**
 * For `serve --workers N` only: the service on N worker threads of this
 * process, each with a journal shard of its own and its own `listen()`
 * listener on one shared port, so that every worker has the request head
 * deadline that `deno serve --parallel` (which owns its listener) lacks.
 * The first thread binds the port (the real one when asked for port 0); the
 * others join it with `SO_REUSEPORT`. Stopping asks every thread to stop
 * listening (in-flight requests finish) and close its shard, and resolves
 * once all have. This module owns no signal: the command passes its own.
 *
 * @module
 */

import type { DataConfig } from "../config/data_dir.ts";
import type { ServiceEnvSettings } from "../config/service_env.ts";
import type { ListenOptions } from "./node_listener.ts";

const THREAD = new URL("./_listener_thread.ts", import.meta.url);

/** What the command sends a thread. */
export type ListenerThreadMessage =
  | {
    kind: "start";
    config: DataConfig;
    settings: ServiceEnvSettings;
    listen: Pick<ListenOptions, "port" | "hostname" | "headerTimeoutMs" | "maxConnections">;
  }
  | { kind: "stop" };

/** What a thread reports. */
export type ListenerThreadReport =
  | { kind: "ready" }
  | {
    kind: "listening";
    addr: Deno.NetAddr;
    journal: { dir: string; id: string; shard: number } | null;
  }
  | { kind: "closed" }
  | { kind: "failed"; message: string; addrInUse: boolean };

/** Options of {@linkcode listenOnThreads}. */
export interface ThreadsOptions {
  /** Number of threads, each a worker of its own shard. */
  workers: number;
  /** Where the data lives. */
  config: DataConfig;
  /** The service's settings, as `stemedb serve` reads them. */
  settings: ServiceEnvSettings;
  /** Where to listen, the head deadline, and each thread's connection cap. */
  listen: { port: number; hostname: string; headerTimeoutMs: number; maxConnections?: number };
  /** Aborting it stops every thread. */
  signal: AbortSignal;
}

/** The running threads. */
export interface Threads {
  /** Where they listen. */
  addr: Deno.NetAddr;
  /** Resolves once every thread has stopped listening and closed its shard. */
  finished: Promise<void>;
}

/** A thread's next report, or its failure. */
function next(worker: Worker): Promise<ListenerThreadReport> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<ListenerThreadReport>) => resolve(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      reject(new Error(`A serve worker failed: ${event.message}`));
    };
  });
}

async function started(
  worker: Worker,
  start: Extract<ListenerThreadMessage, { kind: "start" }>,
): Promise<Deno.NetAddr> {
  const ready = await next(worker);
  if (ready.kind !== "ready") throw new Error(`A serve worker said "${ready.kind}" at start`);
  const reported = next(worker);
  worker.postMessage(start satisfies ListenerThreadMessage);
  const report = await reported;
  if (report.kind === "listening") return report.addr;
  const message = report.kind === "failed" ? report.message : "it stopped at start";
  if (report.kind === "failed" && report.addrInUse) throw new Deno.errors.AddrInUse(message);
  throw new Error(`Cannot start a serve worker: ${message}`);
}

/**
 * Start `workers` threads serving the service; resolves once every one
 * listens. A thread that fails to start stops the others and rejects (with
 * `Deno.errors.AddrInUse` when the port is taken).
 */
export async function listenOnThreads(options: ThreadsOptions): Promise<Threads> {
  const workers: Worker[] = [];
  const spawn = () => {
    const worker = new Worker(THREAD, { type: "module" });
    workers.push(worker);
    return worker;
  };
  const start = (port: number): Extract<ListenerThreadMessage, { kind: "start" }> => ({
    kind: "start",
    config: options.config,
    settings: options.settings,
    listen: { ...options.listen, port },
  });
  let addr: Deno.NetAddr;
  try {
    // The first binds the port (port 0 picks one); the rest join the port it got.
    addr = await started(spawn(), start(options.listen.port));
    const rest = Array.from({ length: options.workers - 1 }, () => spawn());
    await Promise.all(rest.map((worker) => started(worker, start(addr.port))));
  } catch (error) {
    await stopAll(workers);
    throw error;
  }
  const finished = new Promise<void>((resolve, reject) => {
    const stop = () => stopAll(workers).then(resolve, reject);
    if (options.signal.aborted) stop();
    else options.signal.addEventListener("abort", stop, { once: true });
  });
  return { addr, finished };
}

/** Ask every thread to stop and close its shard; then end the threads. */
async function stopAll(workers: Worker[]): Promise<void> {
  const failures: string[] = [];
  await Promise.all(workers.map(async (worker) => {
    try {
      const reported = next(worker);
      worker.postMessage({ kind: "stop" } satisfies ListenerThreadMessage);
      const report = await reported;
      if (report.kind === "failed") failures.push(report.message);
    } catch (error) {
      failures.push((error as Error).message);
    } finally {
      worker.terminate();
    }
  }));
  if (failures.length > 0) {
    throw new Error(`Cannot stop every serve worker: ${failures.join("; ")}`);
  }
}
