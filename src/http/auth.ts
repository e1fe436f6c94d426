/**
 * Bearer-token check in constant time: both sides are hashed with SHA-256 so
 * the comparison always runs over 32 equal-length bytes, whatever was sent.
 *
 * @module
 */

import { timingSafeEqual } from "node:crypto";

const encoder = new TextEncoder();

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/**
 * Whether an `Authorization` header carries `Bearer <token>`. Timing does not
 * depend on how much of the token matched.
 */
export async function bearerMatches(header: string | null, token: string): Promise<boolean> {
  const match = /^Bearer[ \t]+(.*)$/i.exec(header ?? "");
  const given = match ? match[1].trim() : "";
  const [a, b] = await Promise.all([sha256(given), sha256(token)]);
  return timingSafeEqual(a, b) && match !== null;
}

/**
 * Whether a connection comes from this machine: a loopback IP (`127.0.0.0/8`,
 * `::1`, or either mapped into IPv6) or a Unix socket. `undefined` (the
 * caller did not pass the server's connection info) is not.
 */
export function isLoopback(addr: Deno.Addr | undefined): boolean {
  if (addr === undefined) return false;
  if (addr.transport === "unix" || addr.transport === "unixpacket") return true;
  if (addr.transport !== "tcp" && addr.transport !== "udp") return false;
  const host = addr.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return /^127\./.test(host) || host === "::1" || /^::ffff:127\./.test(host) ||
    host === "0:0:0:0:0:0:0:1";
}
