/** Test helper: the HTTP app over a fresh journal and KV, served on an ephemeral port. */

import { type AppOptions, createApp, listen, type ListenOptions } from "../../src/http/mod.ts";
import { Journal } from "../../src/wal/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import { Ingestor, LagTracker } from "../../src/ingest/mod.ts";

export interface TestServer {
  url: string;
  journal: Journal;
  store: KvStore;
  ingestor: Ingestor;
  /** The lag tracker, with `trackLag`. */
  lag?: LagTracker;
  /** Apply everything durable to the store. */
  ingest(): Promise<void>;
  close(): Promise<void>;
}

export async function startServer(
  options: Omit<AppOptions, "journal" | "store" | "ingestor" | "lag"> & {
    background?: boolean;
    trackLag?: boolean;
    /** Serve over `listen()` (`node:http`) with these options instead of `Deno.serve`. */
    node?: ListenOptions;
  } = {},
): Promise<TestServer> {
  const dir = await Deno.makeTempDir({ prefix: "stemedb_http_" });
  const journal = await Journal.open(`${dir}/wal`);
  const store = await KvStore.open(`${dir}/kv.sqlite`);
  const ingestor = new Ingestor(journal, store, { pollIntervalMs: 20 });
  if (options.background) ingestor.start();
  const lag = options.trackLag
    ? await LagTracker.start(journal, store, { pollIntervalMs: 10 })
    : undefined;
  const { node, ...appOptions } = options;
  const app = createApp({ journal, store, ingestor, lag, ...appOptions });
  let addr: Deno.NetAddr;
  let shutdown: () => Promise<void>;
  if (node !== undefined) {
    const listener = await listen(app, { hostname: "127.0.0.1", ...node, port: 0 });
    addr = listener.addr;
    shutdown = listener.stop;
  } else {
    const listening = Promise.withResolvers<Deno.NetAddr>();
    const server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen: (addr) => listening.resolve(addr) },
      app.fetch,
    );
    addr = await listening.promise;
    shutdown = () => server.shutdown();
  }
  return {
    url: `http://127.0.0.1:${addr.port}`,
    journal,
    store,
    ingestor,
    lag,
    async ingest() {
      while (!(await ingestor.runOnce()).caughtUp);
    },
    async close() {
      await shutdown();
      await ingestor.stop();
      await lag?.close();
      store.close();
      await journal.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

// deno-lint-ignore no-explicit-any
type Json = any;

/** fetch + JSON body, always consuming the body. */
export async function call(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; body: Json }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body };
}

export const HASH_RE = /^[0-9a-f]{64}$/;

export function assertion(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subject: "Paris",
    predicate: "capitalOf",
    object: "France",
    source: "test",
    confidence: 0.9,
    timestamp: 1_700_000_000_000,
    ...overrides,
  };
}

export function post(body: unknown, headers: Record<string, string> = {}): RequestInit {
  const ndjson = Array.isArray(body);
  return {
    method: "POST",
    headers: {
      "content-type": ndjson ? "application/x-ndjson" : "application/json",
      ...headers,
    },
    body: ndjson
      ? body.map((b) => (typeof b === "string" ? b : JSON.stringify(b))).join("\n") + "\n"
      : typeof body === "string"
      ? body
      : JSON.stringify(body),
  };
}
