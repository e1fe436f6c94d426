/**
 * The HTTP app: routes, auth, admission, body limits and JSON errors over a
 * journal and a store. Plain `Request` → `Response`, so it runs under
 * `Deno.serve`, `deno serve` or any fetch-style edge runtime.
 *
 * @module
 */

import { nameRequestSpan } from "../telemetry/mod.ts";
import { Admission, DEFAULT_MAX_INFLIGHT_WRITES } from "./admission.ts";
import { bearerMatches, isLoopback } from "./auth.ts";
import { DEFAULT_BODY_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES } from "./body.ts";
import type { AppContext } from "./context.ts";
import { errorResponse, HttpError } from "./errors.ts";
import type { StatusJournal } from "../ingest/mod.ts";
import type { IngestorPort, JournalPort, LagPort, StorePort } from "./ports.ts";
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
   * The journal's lag as a `LagTracker` keeps it: exact records behind for
   * `GET /status`, `GET /metrics` and `maxLagRecords`, and the group commit
   * of each write for its span.
   * @default undefined
   */
  lag?: LagPort;
  /**
   * Bearer token required on writes (and on reads with `protectReads`).
   * Without one (empty or undefined), writes are accepted only from loopback
   * (or a Unix socket), and only when the server passes its connection info
   * (`Deno.serve` and `deno serve` do) as the second argument of `fetch`.
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
   * Longest a request body may take to arrive, in milliseconds; a slower one
   * is answered 408 and cut off.
   * @default 10000
   */
  bodyTimeoutMs?: number;
  /**
   * Most write requests in flight at once (each may hold a body in memory);
   * more are answered 429 with `Retry-After`.
   * @default 64
   */
  maxInflightWrites?: number;
  /**
   * Most durable records the ingestor may be behind (by `lag`): past it,
   * writes are answered 429 with `Retry-After` until it catches up.
   * @default undefined (no limit)
   */
  maxLagRecords?: number;
  /**
   * Longest a write with `?wait=ingested` waits for ingestion, in milliseconds.
   * @default 5000
   */
  waitTimeoutMs?: number;
}

/** What the server tells a handler about the connection (`Deno.ServeHandlerInfo`). */
export interface ConnectionInfo {
  /** The peer's address. */
  remoteAddr: Deno.Addr;
}

/** A fetch-style handler, the shape `deno serve` expects as a default export. */
export interface App {
  /**
   * Answer one request; `info` is what `Deno.serve` passes (needed for writes
   * without a token). Never throws: failures become JSON error responses.
   */
  fetch(request: Request, info?: ConnectionInfo): Promise<Response>;
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
    lag: options.lag,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    bodyTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
    waitTimeoutMs: options.waitTimeoutMs ?? 5000,
  };
  const token = options.token || undefined;
  const protectReads = options.protectReads ?? false;
  const admission = new Admission({
    maxInflight: options.maxInflightWrites ?? DEFAULT_MAX_INFLIGHT_WRITES,
    maxLagRecords: options.maxLagRecords,
    lag: options.lag,
  });
  return {
    async fetch(request: Request, info?: ConnectionInfo): Promise<Response> {
      try {
        const url = new URL(request.url);
        const { route, params } = matchRoute(routes, request.method, url.pathname);
        nameRequestSpan(route.method, route.pattern);
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
        } else if (token === undefined && route.write && !isLoopback(info?.remoteAddr)) {
          throw new HttpError(
            403,
            "forbidden",
            `Cannot ${request.method} "${url.pathname}" from ${peer(info)}: without ` +
              "STEMEDB_TOKEN, writes are accepted only from loopback",
          );
        }
        if (!route.write) return await route.handle(context, request, params, url);
        return await admission.run(() => route.handle(context, request, params, url));
      } catch (error) {
        return errorResponse(error);
      }
    },
  };
}

function peer(info: ConnectionInfo | undefined): string {
  const addr = info?.remoteAddr;
  if (addr === undefined) return "an unknown address";
  return "hostname" in addr ? addr.hostname : addr.transport;
}

/**
 * The line a service prints at start about who may write, so an operator
 * running without a token sees at once that writes are loopback-only.
 *
 * @example Say who may write
 * ```ts
 * import { accessNotice } from "@stemedb/ingest/http";
 *
 * console.log(accessNotice({ token: undefined, protectReads: false }));
 * // auth off: writes accepted only from loopback (set STEMEDB_TOKEN to accept them from the network)
 * ```
 */
export function accessNotice(options: { token?: string; protectReads?: boolean }): string {
  if (!options.token) {
    return "auth off: writes accepted only from loopback " +
      "(set STEMEDB_TOKEN to accept them from the network)";
  }
  return options.protectReads
    ? "auth on: bearer token required for reads and writes (STEMEDB_TOKEN)"
    : "auth on: bearer token required for writes (STEMEDB_TOKEN)";
}
