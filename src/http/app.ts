/**
 * The HTTP app: routes, auth, body limit and JSON errors over a journal and a
 * store. Plain `Request` → `Response`, so it runs under `Deno.serve`,
 * `deno serve` or any fetch-style edge runtime.
 *
 * @module
 */

import { bearerMatches } from "./auth.ts";
import { DEFAULT_MAX_BODY_BYTES } from "./body.ts";
import type { AppContext } from "./context.ts";
import { errorResponse, HttpError } from "./errors.ts";
import type { StatusJournal } from "../ingest/mod.ts";
import type { IngestorPort, JournalPort, StorePort } from "./ports.ts";
import { readRoutes } from "./read_routes.ts";
import { matchRoute, type Route } from "./router.ts";
import { writeRoutes } from "./write_routes.ts";

/** Options for {@linkcode createApp}. */
export interface AppOptions {
  /**
   * The journal writes are appended to (a writer, not a read-only journal).
   * Without one the app is a read-only reader: writes answer 405.
   * @default undefined
   */
  journal?: JournalPort;
  /**
   * Every journal feeding the store that `GET /status` reports on, `journal`
   * first: the shards of a service with one journal per worker.
   * @default {() => [journal]}
   */
  journals?: () => Promise<StatusJournal[]>;
  /** The store reads are answered from. */
  store: StorePort;
  /**
   * The ingestor running in this process, if any; its presence is reported
   * by `GET /health`.
   * @default undefined
   */
  ingestor?: IngestorPort;
  /**
   * Bearer token required on writes (and on reads with `protectReads`).
   * Empty or undefined disables auth.
   * @default undefined
   */
  token?: string;
  /**
   * Whether reads need the token too. `/health` never does.
   * @default false
   */
  protectReads?: boolean;
  /**
   * Request body limit in bytes, enforced while the body streams in.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Longest a write with `?wait=ingested` waits for ingestion, in milliseconds.
   * @default 5000
   */
  waitTimeoutMs?: number;
}

/** A fetch-style handler, the shape `deno serve` expects as a default export. */
export interface App {
  /** Answer one request. Never throws: failures become JSON error responses. */
  fetch(request: Request): Promise<Response>;
}

const routes: Route<AppContext>[] = [...writeRoutes, ...readRoutes];

/** Build the HTTP app over an open journal and store. */
export function createApp(options: AppOptions): App {
  const context: AppContext = {
    journal: options.journal,
    journals: options.journals ??
      (() => Promise.resolve(options.journal === undefined ? [] : [options.journal])),
    store: options.store,
    ingestor: options.ingestor,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    waitTimeoutMs: options.waitTimeoutMs ?? 5000,
  };
  const token = options.token || undefined;
  const protectReads = options.protectReads ?? false;
  return {
    async fetch(request: Request): Promise<Response> {
      try {
        const url = new URL(request.url);
        const { route, params } = matchRoute(routes, request.method, url.pathname);
        const guarded = route.write || (protectReads && route.pattern !== "/health");
        if (token !== undefined && guarded) {
          if (!await bearerMatches(request.headers.get("authorization"), token)) {
            throw new HttpError(
              401,
              "unauthorized",
              `Cannot ${request.method} "${url.pathname}": missing or wrong bearer token`,
              { headers: { "WWW-Authenticate": 'Bearer realm="stemedb"' } },
            );
          }
        }
        return await route.handle(context, request, params, url);
      } catch (error) {
        return errorResponse(error);
      }
    },
  };
}
