/**
 * A journal in a temp dir and a store on a remote KV behind a KV Connect
 * test server of its own, for the ingestor's fault tests.
 *
 * @module
 */
import { Journal } from "../../src/wal/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import {
  type KvConnectServer,
  type KvConnectServerOptions,
  startKvConnectServer,
} from "../support/kv_connect/mod.ts";

/** What a remote fault test works with. */
export interface RemoteEnv extends AsyncDisposable {
  dir: string;
  journal: Journal;
  server: KvConnectServer;
  store: KvStore;
}

/**
 * Open a journal and a store on a fresh KV Connect server, warmed up so the
 * client's metadata exchange is done before any fault (see the server's README).
 */
export async function openRemoteEnv(
  options: { timeoutMs?: number; server?: KvConnectServerOptions } = {},
): Promise<RemoteEnv> {
  const dir = await Deno.makeTempDir({ prefix: "stemedb-remote-" });
  const journal = await Journal.open(`${dir}/wal`);
  const server = await startKvConnectServer(options.server);
  Deno.env.set("DENO_KV_ACCESS_TOKEN", server.token);
  const store = await KvStore.open(server.url, { timeoutMs: options.timeoutMs });
  await store.readCursor(journal.id);
  return {
    dir,
    journal,
    server,
    store,
    async [Symbol.asyncDispose]() {
      // Let every call Deno's client still retries settle before closing it.
      server.setFaults({});
      server.releaseStalls();
      await store.readCursor(journal.id).catch(() => {});
      // A call abandoned at its deadline retries on Deno's ~0.25 s backoff: give it one round.
      await new Promise((resolve) => setTimeout(resolve, 600));
      // The server goes first: Deno 2.9.6's node:http2 can abort the process
      // when a server session receives a client's GOAWAY (denoland/deno#36788).
      await server.close();
      store.close();
      await journal.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
