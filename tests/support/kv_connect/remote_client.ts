/**
 * Opens Deno's own remote KV client on a test server. Deno reads the access
 * token from `DENO_KV_ACCESS_TOKEN` when the KV is opened, so it is set here,
 * just before; tests that need a wrong token set it themselves.
 *
 * @module
 */

import type { KvConnectServer } from "./server.ts";

/** Opens `Deno.openKv(server.url)` with the server's token. Close it before the server. */
export function openRemoteKv(server: Pick<KvConnectServer, "url" | "token">): Promise<Deno.Kv> {
  Deno.env.set("DENO_KV_ACCESS_TOKEN", server.token);
  return Deno.openKv(server.url);
}

/**
 * Waits until `condition()` holds, checking every 10 ms.
 *
 * @throws {Error} Naming `what` if it does not hold within `timeoutMs`.
 */
export async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
