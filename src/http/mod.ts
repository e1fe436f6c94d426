/**
 * The stemedb HTTP API, edge-style: a plain `fetch` handler.
 *
 * The default export is `{ fetch }`, so `deno serve src/http/mod.ts` runs the
 * service: on the first request it opens the journal and Deno KV named by
 * `STEMEDB_DATA` (default `./data`) and `STEMEDB_KV` (default
 * `<data>/kv.sqlite`, or a remote URL), starts the ingestor in the same
 * process, and requires `Authorization: Bearer $STEMEDB_TOKEN` on writes when
 * that variable is set (on reads too when `STEMEDB_PROTECT_READS=1`); without
 * it, writes are accepted only from loopback, as it says on stderr at start.
 * `STEMEDB_MAX_LAG` turns on backpressure.
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
import { accessEnv, maxLagEnv } from "../config/env.ts";
import { openService, type Service } from "../config/service.ts";
import { accessNotice, type App, type AppOptions, type ConnectionInfo, createApp } from "./app.ts";
import { errorResponse, HTTP_ERROR_STATUS, HttpError, type HttpErrorCode } from "./errors.ts";

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
export type { WriteReceipt } from "./write_routes.ts";
export type { StatusReport } from "../ingest/mod.ts";
export type {
  IngestorPort,
  JournalPort,
  LagPort,
  PageOf,
  PageOptions,
  StorePort,
} from "./ports.ts";

/** The service and the app over it, as the `deno serve` entry runs them. */
interface Served {
  service: Service;
  app: App;
}

let served: Promise<Served> | null = null;

function lazyService(): Promise<Served> {
  served ??= (async () => {
    // Settings first: a bad variable must fail before the journal is locked.
    const settings = { maxLagRecords: maxLagEnv(), ...accessEnv() };
    const service = await openService(resolveConfig({}));
    closeOnSignal(service);
    const { journal, store, ingestor, lag } = service;
    return { service, app: createApp({ journal, store, ingestor, lag, ...settings }) };
  })().catch((error) => {
    served = null;
    throw error;
  });
  return served;
}

/**
 * `deno serve` stops its server on SIGINT/SIGTERM and then waits for the event
 * loop to drain, which the ingestor's loop would keep alive: close it too.
 */
function closeOnSignal(opened: Service): void {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handler = () => {
    for (const s of signals) Deno.removeSignalListener(s, handler);
    opened.close().catch((error) => console.error(error));
  };
  for (const s of signals) Deno.addSignalListener(s, handler);
}

/**
 * The service as a `deno serve` module: journal, store and ingestor are
 * opened from the environment on the first request.
 *
 * @example Run it
 * ```ts ignore
 * // deno serve -A src/http/mod.ts
 * import handler from "@stemedb/ingest/http";
 * Deno.serve(handler.fetch);
 * ```
 */
const handler: App = {
  async fetch(request: Request, info?: ConnectionInfo): Promise<Response> {
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
  },
};

// Run as `deno serve src/http/mod.ts`: say at start who may write.
if (import.meta.main) console.error(`stemedb: ${accessNotice(accessEnv())}`);

export default handler;
