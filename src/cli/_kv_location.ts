/**
 * What `--kv` (or `STEMEDB_KV`) may name: a local Deno KV SQLite file, created
 * when missing, or an `http(s)` URL of a remote KV. Anything else is refused
 * before it is opened, since Deno KV would take `ftp://x` for a relative path
 * and create a directory named `ftp:`.
 *
 * @module
 */

import { UsageError } from "./_output.ts";

/** The first bytes of every SQLite 3 database file. */
const SQLITE_MAGIC = "SQLite format 3\0";

/** A URL scheme of two or more letters: one letter is a Windows drive (`C:\data`). */
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/**
 * Refuse a KV location that is neither a path nor an http(s) URL (a usage
 * error), and a path that exists but is not a SQLite file (a failure).
 * `origin` names where the value came from: `option "--kv"` or
 * `environment variable STEMEDB_KV`.
 */
export async function checkKvLocation(kv: string, origin: string): Promise<void> {
  const scheme = SCHEME.exec(kv)?.[1].toLowerCase();
  if (scheme === "http" || scheme === "https") {
    let host = "";
    try {
      host = new URL(kv).hostname;
    } catch {
      // reported below
    }
    if (host === "") throw new UsageError(`Invalid ${origin} "${kv}": not a valid URL`);
    return;
  }
  if (scheme !== undefined) {
    throw new UsageError(
      `Invalid ${origin} "${kv}": expected a path or an http(s) URL, not a "${scheme}:" URL`,
    );
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(kv);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return; // created on first open
    throw error;
  }
  const expected = "a Deno KV SQLite file (created when missing) or an http(s) URL";
  if (info.isDirectory) {
    throw new Error(`Cannot open Deno KV "${kv}": it is a directory; ${origin} takes ${expected}`);
  }
  if (info.size === 0) return; // SQLite takes an empty file as a new database
  const head = new Uint8Array(SQLITE_MAGIC.length);
  const file = await Deno.open(kv, { read: true });
  try {
    await file.read(head);
  } finally {
    file.close();
  }
  if (new TextDecoder().decode(head) !== SQLITE_MAGIC) {
    throw new Error(
      `Cannot open Deno KV "${kv}": not a SQLite database; ${origin} takes ${expected}`,
    );
  }
}
