/**
 * Run the same test against both of Deno KV's back ends: a local SQLite file,
 * and a remote KV behind the KV Connect test server. Suites loop over
 * `KV_BACKENDS` and open whatever they open on `target`.
 *
 * @module
 */

import {
  type KvConnectServer,
  type KvConnectServerOptions,
  startKvConnectServer,
} from "./server.ts";

/** Where a test's Deno KV lives. */
export type KvBackend = "local" | "remote";

/** Both back ends, local first. */
export const KV_BACKENDS: readonly KvBackend[] = ["local", "remote"];

/** What a test gets for one back end. */
export interface KvTarget {
  backend: KvBackend;
  /**
   * What to pass to `Deno.openKv` or `KvStore.open`: a temp SQLite path, or
   * the server's URL with `DENO_KV_ACCESS_TOKEN` already set.
   */
  target: string;
  /** The KV Connect server behind a remote target, for faults and stats. */
  server?: KvConnectServer;
}

/**
 * Variable that picks the back end of the store and ingest suites' fixtures:
 * `remote` runs them through a KV Connect server (`deno task test:remote`),
 * anything else on a local SQLite file.
 */
export const TEST_BACKEND_VARIABLE = "STEMEDB_TEST_KV";

/** The back end `STEMEDB_TEST_KV` picks for the suites' fixtures. */
export function testKvBackend(): KvBackend {
  return Deno.env.get(TEST_BACKEND_VARIABLE) === "remote" ? "remote" : "local";
}

/** A KV of some back end, open for a fixture: what to open, and how to end it. */
export interface KvFixture extends AsyncDisposable {
  /** The back end. */
  backend: KvBackend;
  /** A SQLite path under `dir`, or the server's URL (token already set). */
  target: string;
  /** The server behind a remote target. */
  server?: KvConnectServer;
}

/**
 * A fresh KV of `backend` for a fixture: a SQLite file `dir/kv.sqlite`, or a
 * KV Connect server of its own. Dispose of it after closing what opened it.
 */
export async function openKvFixture(
  backend: KvBackend,
  dir: string,
  options?: KvConnectServerOptions,
): Promise<KvFixture> {
  if (backend === "local") {
    return { backend, target: `${dir}/kv.sqlite`, [Symbol.asyncDispose]: () => Promise.resolve() };
  }
  const server = await startKvConnectServer(options);
  Deno.env.set("DENO_KV_ACCESS_TOKEN", server.token);
  return { backend, target: server.url, server, [Symbol.asyncDispose]: () => server.close() };
}

/**
 * Runs `fn` on a fresh, empty KV of the given back end, then deletes it.
 * Close what `fn` opened on `target` before it returns.
 */
export async function withKvBackend(
  backend: KvBackend,
  fn: (target: KvTarget) => Promise<void>,
  options?: KvConnectServerOptions,
): Promise<void> {
  if (backend === "remote") {
    await using server = await startKvConnectServer(options);
    Deno.env.set("DENO_KV_ACCESS_TOKEN", server.token);
    await fn({ backend, target: server.url, server });
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "stemedb_kv_local_" });
  try {
    await fn({ backend, target: `${dir}/kv.sqlite` });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
