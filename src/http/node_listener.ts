/**
 * An HTTP/1.1 listener for a fetch-style {@linkcode App} over `node:http`,
 * for the one thing `Deno.serve` lacks: a deadline on the request head.
 * Deno 2.9.6's `Deno.serve` has none (denoland/deno#3515), so a client that
 * never ends its head holds its connection, and its memory, for ever; under
 * this listener it is answered `408 Request Timeout` and disconnected once
 * `headerTimeoutMs` has passed since its first byte (or since its
 * connection, if it sends none), however slowly it drips bytes.
 *
 * Deadlines, one owner each:
 * - the head: `headerTimeoutMs`, here (node's `headersTimeout`);
 * - the body: the app's `bodyTimeoutMs` (`readBody()` in `body.ts`), which
 *   answers the JSON 408 under every host, `deno serve` and edge runtimes
 *   included. So node's own whole-request clock (`requestTimeout`) is off
 *   here: a second clock over the same bytes would cut bodies the app still
 *   accepts. A body the handler did not read to its end closes the
 *   connection after the answer, so no connection outlives its answer
 *   draining a body nobody reads;
 * - an idle keep-alive connection: `keepAliveTimeoutMs`, here.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { App } from "./app.ts";
import { inServerSpan } from "../telemetry/mod.ts";
import { errorResponse, HttpError } from "./errors.ts";
import { toRequest, writeResponse } from "./_node_exchange.ts";

/**
 * Default deadline of a request head: 10 s, as the body's.
 *
 * @example Give clients on slow links twice the default to send a request head
 * ```ts
 * import { DEFAULT_HEADER_TIMEOUT_MS, listen } from "@stemedb/ingest/http";
 *
 * const app = { fetch: () => Promise.resolve(new Response("ok")) };
 * await using listener = await listen(app, { headerTimeoutMs: 2 * DEFAULT_HEADER_TIMEOUT_MS });
 * const response = await fetch(`http://127.0.0.1:${listener.addr.port}/`);
 * console.log(await response.text()); // ok
 * ```
 */
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;

/**
 * Default time an idle keep-alive connection is kept: 5 s, as Node's.
 *
 * @example Outlast the idle timeout of a load balancer in front
 * ```ts
 * import { DEFAULT_KEEP_ALIVE_TIMEOUT_MS, listen } from "@stemedb/ingest/http";
 *
 * // The balancer must close an idle connection first, or it may send on one being closed.
 * const balancerIdleMs = 60_000;
 * const keepAliveTimeoutMs = Math.max(DEFAULT_KEEP_ALIVE_TIMEOUT_MS, balancerIdleMs + 1_000);
 * const app = { fetch: () => Promise.resolve(new Response("ok")) };
 * await using listener = await listen(app, { keepAliveTimeoutMs });
 * console.log(listener.addr.port > 0); // true
 * ```
 */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;

/**
 * Default time a stop waits for in-flight requests before closing their connections.
 *
 * @example Stop within a platform's grace period between SIGTERM and SIGKILL
 * ```ts
 * import { DEFAULT_STOP_TIMEOUT_MS, listen } from "@stemedb/ingest/http";
 *
 * const graceMs = 8_000; // what the platform waits before it kills the process
 * const stopTimeoutMs = Math.min(DEFAULT_STOP_TIMEOUT_MS, graceMs - 1_000);
 * const app = { fetch: () => Promise.resolve(new Response("ok")) };
 * const listener = await listen(app, { stopTimeoutMs });
 * await listener.stop(); // in-flight requests get at most stopTimeoutMs to finish
 * await listener.finished;
 * ```
 */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** Options of {@linkcode listen}. */
export interface ListenOptions {
  /**
   * Port; 0 picks a free one (the listener's `addr` says which).
   * @default 0
   */
  port?: number;
  /**
   * Address to listen on.
   * @default "127.0.0.1"
   */
  hostname?: string;
  /**
   * Longest a request head may take to arrive, in milliseconds, from the
   * connection (or the end of the previous answer) to the blank line that
   * ends it; a slower client is answered 408 and disconnected.
   * @default 10000
   */
  headerTimeoutMs?: number;
  /**
   * Longest an idle keep-alive connection is kept between requests, in
   * milliseconds.
   * @default 5000
   */
  keepAliveTimeoutMs?: number;
  /**
   * Longest a stop waits for in-flight requests before it closes their
   * connections, in milliseconds.
   * @default 10000
   */
  stopTimeoutMs?: number;
  /**
   * Connections held at once; past it a new connection is closed as soon
   * as it is accepted, unanswered, so that the process never runs out of
   * descriptors. Unlimited when not given.
   * @default undefined
   */
  maxConnections?: number;
  /**
   * Let other listeners (other threads or processes) bind the same port
   * (`SO_REUSEPORT`); the kernel spreads connections between them.
   * @default false
   */
  reusePort?: boolean;
  /**
   * Aborting it stops the listener, as {@linkcode Listener.stop} does.
   * @default undefined
   */
  signal?: AbortSignal;
}

/** A listening server; see {@linkcode listen}. */
export interface Listener {
  /** Where it listens: the real port when asked for port 0. */
  readonly addr: Deno.NetAddr;
  /** Resolves once stopped: every connection closed and every handler returned (or the stop deadline passed). */
  readonly finished: Promise<void>;
  /**
   * Stop accepting, close idle keep-alive connections, let in-flight
   * requests finish (each answer then closes its connection), and after
   * `stopTimeoutMs` close what is left. Resolves with `finished`. Idempotent.
   */
  stop(): Promise<void>;
  /** {@linkcode Listener.stop}. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** How often node checks the head deadline of every connection: the deadline's precision. */
function checkIntervalMs(headerTimeoutMs: number): number {
  return Math.max(20, Math.min(1000, Math.floor(headerTimeoutMs / 10)));
}

/**
 * Serve `app` over `node:http` until stopped. Resolves once listening;
 * rejects with `Deno.errors.AddrInUse` when the address is taken.
 *
 * @example Serve an app on a free port, then stop
 * ```ts
 * import { listen } from "@stemedb/ingest/http";
 *
 * const app = { fetch: () => Promise.resolve(Response.json({ ok: true })) };
 * await using listener = await listen(app, { port: 0, headerTimeoutMs: 2000 });
 * const response = await fetch(`http://127.0.0.1:${listener.addr.port}/`);
 * console.log(await response.json()); // { ok: true }
 * ```
 */
export async function listen(app: App, options: ListenOptions = {}): Promise<Listener> {
  const hostname = options.hostname ?? "127.0.0.1";
  const headerTimeoutMs =
    positive("headerTimeoutMs", options.headerTimeoutMs, "of milliseconds ") ??
      DEFAULT_HEADER_TIMEOUT_MS;
  const keepAliveTimeoutMs =
    positive("keepAliveTimeoutMs", options.keepAliveTimeoutMs, "of milliseconds ") ??
      DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  const server = createServer({
    headersTimeout: headerTimeoutMs,
    // The body's deadline is the app's (see the module doc): node's whole-request clock is off.
    requestTimeout: 0,
    keepAliveTimeout: keepAliveTimeoutMs,
    connectionsCheckingInterval: checkIntervalMs(headerTimeoutMs),
  });
  const maxConnections = positive("maxConnections", options.maxConnections, "");
  if (maxConnections !== undefined) server.maxConnections = maxConnections;
  let stopping = false;
  let inFlight = 0;
  let idle: (() => void) | null = null;
  let base = `http://${hostname}`;

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    inFlight++;
    // A write to a connection the client dropped reports here, not as a crash.
    res.on("error", () => {});
    req.on("error", () => {});
    try {
      // The parser goes on to the bytes that came with the head once this event returns: after
      // one turn, a small body that arrived with its head is whole (see toRequest()).
      if (!req.complete) await Promise.resolve();
      let exchange;
      try {
        exchange = toRequest(req, base);
      } catch (error) {
        // A head node accepted that fetch cannot represent is the client's mistake.
        const message = `Cannot read the request head: ${(error as Error).message}`;
        const response = errorResponse(new HttpError(400, "bad_request", message));
        await writeResponse({ req, res, response, close: true });
        return;
      }
      const { request, info } = exchange;
      await inServerSpan(request, async () => {
        let response: Response;
        try {
          response = await app.fetch(request, info);
        } catch (error) {
          // App.fetch never throws; a handler that does is a bug of the handler, answered 500.
          response = errorResponse(error);
        }
        if (res.destroyed) {
          await response.body?.cancel().catch(() => {});
        } else {
          await writeResponse({ req, res, response, close: stopping });
        }
        return response.status;
      });
    } catch {
      // The answer could not be written (the head was out already): all that is left is to hang up.
      res.destroy();
    } finally {
      if (--inFlight === 0) idle?.();
      // While stopping, a connection whose answer is out has nothing more to do.
      if (stopping) server.closeIdleConnections();
    }
  }
  // Node hands over a pipelined request while the one before it on the connection is still being
  // answered; Deno.serve answers them one at a time, in order, and so does this listener, so that
  // a client's pipelined writes are appended in the order it sent them.
  const previous = new WeakMap<object, Promise<void>>();
  server.on("request", (req, res) => {
    const before = previous.get(req.socket);
    const answered = before === undefined ? answer(req, res) : before.then(() => answer(req, res));
    previous.set(req.socket, answered);
  });

  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error & { code?: string }) => {
      if (error.code !== "EADDRINUSE") return reject(error);
      reject(
        new Deno.errors.AddrInUse(
          `Cannot listen on ${hostname}:${options.port ?? 0}: the address is in use`,
          { cause: error },
        ),
      );
    };
    server.once("error", failed);
    server.listen({ port: options.port ?? 0, host: hostname, reusePort: options.reusePort }, () => {
      server.off("error", failed);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const addr: Deno.NetAddr = { transport: "tcp", hostname: address.address, port: address.port };
  base = `http://${
    address.family === "IPv6" ? `[${address.address}]` : address.address
  }:${address.port}`;

  const closed = Promise.withResolvers<void>();
  server.once("close", () => closed.resolve());
  const finished = Promise.withResolvers<void>();
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      server.close();
      server.closeIdleConnections();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => timer = setTimeout(resolve, stopTimeoutMs));
      const handled = inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idle = r);
      await Promise.race([Promise.all([handled, closed.promise]), late]);
      clearTimeout(timer);
      // Past the deadline (or heads still arriving): nothing left is waited for.
      server.closeAllConnections();
      await closed.promise;
      finished.resolve();
    })();
    return stopped;
  };
  options.signal?.addEventListener("abort", () => void stop(), { once: true });
  if (options.signal?.aborted) void stop();
  return { addr, finished: finished.promise, stop, [Symbol.asyncDispose]: stop };
}

/** `value` when it is an integer of at least 1 (`unit` names what it counts), else a RangeError. */
function positive(name: string, value: number | undefined, unit: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Invalid ${name} "${value}": expected an integer ${unit}>= 1`);
  }
  return value;
}
