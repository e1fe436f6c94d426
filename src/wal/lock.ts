/**
 * The writer lock: flock on `LOCK` plus an in-process registry, because flock
 * belongs to an open file description and two opens in one process must still
 * exclude each other. The holder writes its pid into `LOCK`, so a refused
 * writer can say which process holds the journal.
 *
 * @module
 */
import { JournalLockedError } from "./errors.ts";
import { type FileHandle, type FileLayer, readFull, writeAll } from "./file_layer.ts";
import { LOCK_FILE } from "./format.ts";

/** A pid, in decimal, and its newline fit in this many bytes. */
const PID_BYTES = 24;

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
  if (lockedDirs.has(key)) throw new JournalLockedError(dir, { holderPid: Deno.pid });
  lockedDirs.add(key);
  let file: FileHandle | undefined;
  try {
    file = await fs.open(`${dir}/${LOCK_FILE}`, { read: true, write: true, create: true });
    await lockOrRefuse(file, dir);
    await writeHolderPid(file);
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

/**
 * How long a lock that names this very process as its holder is retried. This
 * process released it (or the registry would have refused first), but a child
 * process being spawned holds a copy of every open file description from its
 * fork to its exec, flocks included: a reopen that races a spawn waits that
 * out instead of refusing. Another worker of this process that really holds
 * the journal is refused once it has passed.
 */
const OWN_PID_RETRY_MS = 500;

async function lockOrRefuse(file: FileHandle, dir: string): Promise<void> {
  const deadline = performance.now() + OWN_PID_RETRY_MS;
  while (!(await file.tryLock(true))) {
    const holderPid = await readHolderPid(file);
    if (holderPid !== Deno.pid || performance.now() > deadline) {
      throw new JournalLockedError(dir, { holderPid });
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Record this process as the holder; best effort, since the flock alone is the lock. */
async function writeHolderPid(file: FileHandle): Promise<void> {
  try {
    await file.truncate(0);
    await file.seek(0, Deno.SeekMode.Start);
    await writeAll(file, new TextEncoder().encode(`${Deno.pid}\n`));
  } catch {
    // A holder that cannot say its pid still holds the lock.
  }
}

/** The pid the holder wrote, or `null` (not written yet, or unreadable). */
async function readHolderPid(file: FileHandle): Promise<number | null> {
  try {
    const buf = new Uint8Array(PID_BYTES);
    await file.seek(0, Deno.SeekMode.Start);
    const n = await readFull(file, buf);
    const pid = Number(new TextDecoder().decode(buf.subarray(0, n)).trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
