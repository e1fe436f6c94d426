/**
 * How many connections a listener of this process may hold: the open-file
 * limit (`RLIMIT_NOFILE`, which every accepted connection counts against)
 * less what the service itself keeps open. A listener past the limit
 * closes new connections at once instead of letting the process run out of
 * descriptors, which Deno 2.9.6 does not survive (it panics on `EMFILE`).
 *
 * @module
 */

/**
 * Descriptors kept back for the service itself: journal segments and its
 * directory, the writer lock, Deno KV's SQLite files, other shards' readers,
 * child pipes, telemetry sockets.
 */
export const RESERVED_FILES = 256;

/** The fewest connections a default allows, however low the limit. */
const MIN_CONNECTIONS = 16;

/**
 * The soft open-file limit from the text of `/proc/self/limits`, or
 * `undefined` when it says none ("unlimited") or is not that file's text.
 */
export function parseOpenFileLimit(limits: string): number | undefined {
  const line = /^Max open files\s+(\S+)/m.exec(limits);
  if (line === null) return undefined;
  const soft = Number(line[1]);
  return Number.isSafeInteger(soft) && soft > 0 ? soft : undefined;
}

/**
 * This process's soft open-file limit, read from `/proc/self/limits`;
 * `undefined` where it cannot be read (not Linux, no read permission).
 */
export function openFileLimit(): number | undefined {
  try {
    return parseOpenFileLimit(Deno.readTextFileSync("/proc/self/limits"));
  } catch {
    return undefined;
  }
}

/**
 * The default connection cap of a process with `files` descriptors: what is
 * left after {@linkcode RESERVED_FILES}; `undefined` (no cap) when the limit
 * is unknown.
 */
export function defaultMaxConnections(files: number | undefined): number | undefined {
  if (files === undefined) return undefined;
  return Math.max(MIN_CONNECTIONS, files - RESERVED_FILES);
}
