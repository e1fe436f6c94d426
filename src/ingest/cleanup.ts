/**
 * Cursor-based cleanup: sealed segments every registered consumer of a
 * journal has read are deleted, keeping an optional retention below the
 * lowest consumer offset, in bytes, in time, or both. (Each commit registers
 * the ingestor's own offset.)
 *
 * @module
 */
import type { Journal } from "../wal/mod.ts";
import type { KvStore } from "../store/mod.ts";
import type { CleanupOptions } from "./options.ts";
import { retrying } from "./retry.ts";

/**
 * Delete the sealed segments of `journal` lying wholly below the lowest offset
 * of all its registered consumers (and its committed cursor) minus
 * `retainBytes`, and sealed more than `retainMs` ago. The journal itself never
 * removes the active segment. Returns how many segments were removed.
 */
export async function cleanupSegments(
  journal: Journal,
  store: KvStore,
  retention: CleanupOptions = {},
): Promise<number> {
  const cursor = await retrying(() => store.readCursor(journal.id), { limitMs: store.timeoutMs });
  if (cursor.offset === null) return 0;
  const consumers = await retrying(() => store.lowestConsumerOffset(journal.id), {
    limitMs: store.timeoutMs,
  });
  const lowest = Math.min(cursor.offset, consumers ?? Infinity);
  let below = lowest - (retention.retainBytes ?? 0);
  if (retention.retainMs !== undefined && below > journal.firstOffset) {
    below = Math.min(below, await retainedSince(journal, Date.now() - retention.retainMs));
  }
  if (below <= journal.firstOffset) return 0;
  return await journal.removeSegmentsBefore(below);
}

/**
 * The base of the oldest segment sealed at or after `since` (ms since the
 * epoch): segments below it are older. A sealed segment's last write is its
 * seal, so its modification time is when it was sealed.
 */
async function retainedSince(journal: Journal, since: number): Promise<number> {
  for (const segment of await journal.segments()) {
    if (!segment.sealed) return segment.base;
    const { mtime } = await Deno.stat(segment.path);
    if (mtime === null || mtime.getTime() >= since) return segment.base;
  }
  return journal.firstOffset;
}
