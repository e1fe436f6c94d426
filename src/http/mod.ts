/**
 * The stemedb HTTP API, edge-style: a plain `fetch` handler.
 *
 * The default export is `{ fetch }`, so `deno serve src/http/mod.ts` runs the
 * service: on the first request it opens the journal and Deno KV named by
 * `STEMEDB_DATA` (default `./data`) and `STEMEDB_KV` (default
 * `<data>/kv.sqlite`, or a remote URL), starts the ingestor in the same
 * process, and requires `Authorization: Bearer $STEMEDB_TOKEN` on writes when
 * that variable is set (on reads too when `STEMEDB_PROTECT_READS=1`).
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
import { type App, type AppOptions, createApp } from "./app.ts";
import { errorResponse, HttpError, type HttpErrorCode } from "./errors.ts";
import { openService, type Service } from "./service.ts";

export { type App, type AppOptions, createApp, HttpError, type HttpErrorCode };
export { DEFAULT_MAX_BODY_BYTES } from "./body.ts";
export type { WriteReceipt } from "./write_routes.ts";
export type { StatusReport } from "../ingest/mod.ts";
export type { IngestorPort, JournalPort, PageOf, PageOptions, StorePort } from "./ports.ts";

let service: Promise<Service> | null = null;

function lazyService(): Promise<Service> {
  service ??= openService(resolveConfig({}), {
    token: Deno.env.get("STEMEDB_TOKEN") || undefined,
    protectReads: /^(1|true|yes)$/i.test(Deno.env.get("STEMEDB_PROTECT_READS") ?? ""),
  }).then(closeOnSignal, (error) => {
    service = null;
    throw error;
  });
  return service;
}

/**
 * `deno serve` stops its server on SIGINT/SIGTERM and then waits for the event
 * loop to drain, which the ingestor's loop would keep alive: close it too.
 */
function closeOnSignal(opened: Service): Service {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const handler = () => {
    for (const s of signals) Deno.removeSignalListener(s, handler);
    opened.close().catch((error) => console.error(error));
  };
  for (const s of signals) Deno.addSignalListener(s, handler);
  return opened;
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
  async fetch(request: Request): Promise<Response> {
    let app: App;
    try {
      app = (await lazyService()).app;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return errorResponse(
        new HttpError(503, "internal", `Cannot open the service: ${message}`),
      );
    }
    return await app.fetch(request);
  },
};

export default handler;
