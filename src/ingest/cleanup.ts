/**
 * Cursor-based cleanup: sealed segments every registered consumer of a
 * journal has read are deleted, keeping an optional retention below the
 * lowest consumer offset. (Each commit registers the ingestor's own offset.)
 *
 * @module
 */
import type { Journal } from "../wal/mod.ts";
import type { KvStore } from "../store/mod.ts";
import { retrying } from "./retry.ts";

/**
 * Delete the sealed segments of `journal` lying wholly below the lowest offset
 * of all its registered consumers (and its committed cursor) minus
 * `retainBytes`. The journal itself never removes the active segment. Returns
 * how many segments were removed.
 */
export async function cleanupSegments(
  journal: Journal,
  store: KvStore,
  retainBytes: number,
): Promise<number> {
  const cursor = await retrying(() => store.readCursor(journal.id));
  if (cursor.offset === null) return 0;
  const consumers = await retrying(() => store.lowestConsumerOffset(journal.id));
  const lowest = Math.min(cursor.offset, consumers ?? Infinity);
  const below = lowest - retainBytes;
  if (below <= journal.firstOffset) return 0;
  return await journal.removeSegmentsBefore(below);
}
