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
