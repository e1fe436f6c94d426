/**
 * The writer lock: flock on `LOCK` plus an in-process registry, because flock
 * belongs to an open file description and two opens in one process must still
 * exclude each other.
 *
 * @module
 */
import { JournalLockedError } from "./errors.ts";
import type { FileHandle, FileLayer } from "./file_layer.ts";
import { LOCK_FILE } from "./format.ts";

const lockedDirs = new Set<string>();

/** An absolute, normalized form of `dir` used as the registry key. */
export function lockKey(dir: string): string {
  const absolute = dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
  const parts: string[] = [];
  for (const part of absolute.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

/** A held writer lock. */
export interface JournalLock {
  /** Release the lock (idempotent). */
  release(): void;
}

/** Take the exclusive writer lock of `dir`, or throw JournalLockedError naming it. */
export async function acquireLock(fs: FileLayer, dir: string): Promise<JournalLock> {
  const key = lockKey(dir);
  if (lockedDirs.has(key)) throw new JournalLockedError(dir);
  lockedDirs.add(key);
  let file: FileHandle | undefined;
  try {
    file = await fs.open(`${dir}/${LOCK_FILE}`, { read: true, write: true, create: true });
    if (!(await file.tryLock(true))) throw new JournalLockedError(dir);
  } catch (e) {
    file?.close();
    lockedDirs.delete(key);
    throw e;
  }
  let held = true;
  const handle = file;
  return {
    release() {
      if (!held) return;
      held = false;
      handle.close();
      lockedDirs.delete(key);
    },
  };
}
