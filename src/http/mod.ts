/**
 * The stemedb HTTP API, edge-style: a plain `fetch` handler.
 *
 * The default export is `{ fetch, close }`, so `deno serve src/http/mod.ts`
 * runs the service: on start it claims a journal shard of the data directory
 * `STEMEDB_DATA` names (default `./data`: the first of `wal`, `wal-1`, … whose
 * writer lock is free, so each worker of `deno serve --parallel` writes a
 * journal of its own), opens the Deno KV `STEMEDB_KV` names (default
 * `<data>/kv.sqlite`, or a remote URL) shared by every shard, and starts the
 * shard's ingestor, which deletes segments every consumer has read (keeping
 * `STEMEDB_RETENTION`). Writes need `Authorization: Bearer $STEMEDB_TOKEN`
 * when that variable is set (reads too with `STEMEDB_PROTECT_READS=1`);
 * without it, writes are accepted only from loopback, as it says on stderr at
 * start. `STEMEDB_MAX_LAG` turns on backpressure. With
 * `STEMEDB_READ_ONLY=1` it opens no journal and no file: every read is served
 * from the KV, writes answer 405.
 *
 * Run by `deno serve`, the module stops on SIGINT/SIGTERM: `deno serve` stops
 * accepting, in-flight requests finish, then the ingestor stops and journal
 * and store close. Imported as a library (or re-exported from another
 * entry) it installs no signal handler: call `close()` yourself after
 * shutting your server down, or the ingestor keeps the process alive.
 *
 * Under `deno serve` the runtime owns the listener, and Deno 2.9.6's has no
 * deadline on the request head (denoland/deno#3515): a client that never
 * ends its head keeps its connection open. Face untrusted clients through a
 * proxy with a header timeout, or run `stemedb serve` (`--workers N` for
 * every core), which serves this app over {@linkcode listen}, a `node:http` listener that
 * answers such a client 408 and disconnects it.
 *
 * {@linkcode createApp} builds the same handler over a journal and store you
 * opened yourself.
 *
 * @example Answer a request without a server
 * ```ts
 * import { createApp } from "@stemedb/ingest/http";
 * import { Journal } from "@stemedb/ingest/wal";
 * import { KvStore } from "@stemedb/ingest/store";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(`${dir}/wal`);
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const app = createApp({ journal, store });
 * const response = await app.fetch(new Request("http://localhost/health"));
 * console.log(response.status); // 200
 * await response.body?.cancel();
 * store.close();
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

import { resolveConfig } from "../config/data_dir.ts";
import { accessEnv } from "../config/env.ts";
import { serviceEnv } from "../config/service_env.ts";
import { accessNotice, type App, type AppOptions, type ConnectionInfo, createApp } from "./app.ts";
import { errorResponse, HTTP_ERROR_STATUS, HttpError, type HttpErrorCode } from "./errors.ts";
import { openServed, type Served } from "./served.ts";
import { exitWithinDeadline } from "../telemetry/_exit_deadline.ts";
import { joinSiblingWorkers } from "./_sibling_workers.ts";

export {
  accessNotice,
  type App,
  type AppOptions,
  type ConnectionInfo,
  createApp,
  HTTP_ERROR_STATUS,
  HttpError,
  type HttpErrorCode,
};
export { DEFAULT_BODY_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES } from "./body.ts";
export { DEFAULT_MAX_INFLIGHT_WRITES } from "./admission.ts";
export {
  DEFAULT_HEADER_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_STOP_TIMEOUT_MS,
  listen,
  type Listener,
  type ListenOptions,
} from "./node_listener.ts";
export type { WriteReceipt } from "./write_routes.ts";
export type { SkippedReceipt } from "./dedupe.ts";
export type { ShardedStatusReport, StatusReport } from "../ingest/mod.ts";
export type {
  IngestorPort,
  JournalPort,
  LagPort,
  PageOf,
  PageOptions,
  ReferenceCheckPort,
  StorePort,
} from "./ports.ts";

/** Longest `close()` waits for in-flight requests before closing the journal under them. */
const DRAIN_MS = 10_000;

/** Longest a closed worker waits for the other workers of its process to close. */
const SIBLINGS_MS = 30_000;

let served: Promise<Served> | null = null;
let closing: Promise<void> | null = null;
let inFlight = 0;
let drained: (() => void) | null = null;

/** Open the service (or the read-only reader) the environment describes. */
function openFromEnv(): Promise<Served> {
  // Settings first: a bad variable must fail before the journal is locked.
  const config = resolveConfig({});
  return openServed(config, serviceEnv());
}

function lazyService(): Promise<Served> {
  served ??= openFromEnv().catch((error) => {
    served = null;
    throw error;
  });
  return served;
}

async function answer(request: Request, info?: ConnectionInfo): Promise<Response> {
  let app: App;
  try {
    app = (await lazyService()).app;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return errorResponse(
      new HttpError(503, "service_unavailable", `Cannot open the service: ${message}`),
    );
  }
  return await app.fetch(request, info);
}

/**
 * Stop answering (503 from now on), wait for in-flight requests (at most
 * 10 s), then stop the ingestor and close journal and store. Idempotent.
 */
function close(): Promise<void> {
  closing ??= (async () => {
    if (inFlight > 0) {
      const idle = new Promise<void>((resolve) => drained = resolve);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => timer = setTimeout(resolve, DRAIN_MS));
      await Promise.race([idle, late]);
      clearTimeout(timer);
    }
    const opened = await served?.catch(() => null);
    await opened?.close();
  })();
  return closing;
}

/** The `deno serve` default export: `fetch` answers, `close` stops. */
export interface ServedHandler extends App {
  /**
   * Stop: answer 503 from now on, let in-flight requests finish (at most
   * 10 s), then stop the ingestor and close journal and store. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * The service as a `deno serve` module: journal shard, store and ingestor are
 * opened from the environment.
 *
 * @example Run it under your own server
 * ```ts ignore
 * // or: deno serve -A --parallel src/http/mod.ts
 * import handler from "@stemedb/ingest/http";
 *
 * const server = Deno.serve(handler.fetch);
 * Deno.addSignalListener("SIGINT", async () => {
 *   await server.shutdown(); // stop accepting, finish in-flight requests
 *   await handler.close(); // stop the ingestor, close journal and store
 * });
 * ```
 */
const handler: ServedHandler = {
  async fetch(request: Request, info?: ConnectionInfo): Promise<Response> {
    if (closing !== null) {
      return errorResponse(
        new HttpError(503, "service_unavailable", "Cannot answer: the service is stopping"),
      );
    }
    inFlight++;
    try {
      return await answer(request, info);
    } finally {
      if (--inFlight === 0) drained?.();
    }
  },
  close,
};

// Run as `deno serve src/http/mod.ts`: say at start who may write.
if (import.meta.main) console.error(`stemedb: ${accessNotice(accessEnv())}`);

export default handler;

// Only as `deno serve`'s entry does this module own the process; imported, it owns nothing.
if (import.meta.main) {
  lazyService().catch((error) => console.error(error));
  const siblings = joinSiblingWorkers();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const stop = () => {
    for (const s of signals) Deno.removeSignalListener(s, stop);
    close().then(async () => {
      // Ending the process ends every worker of it: not before the others have closed.
      await siblings.closedAndWait(SIBLINGS_MS);
      // Once deno serve's server has finished too, nothing is left but the runtime's own exit.
      globalThis.addEventListener("beforeunload", () => exitWithinDeadline(0), { once: true });
    }, (error) => {
      console.error(error);
      exitWithinDeadline(1);
    });
  };
  for (const s of signals) Deno.addSignalListener(s, stop);
}
