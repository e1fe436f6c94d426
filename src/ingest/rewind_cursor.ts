/**
 * Moving a journal's cursor back to the journal's durable end, the way out of
 * a `CursorAheadError`: after a point-in-time repair (or a restore from an
 * older copy) cut the journal below records already applied, records
 * appended from the end on must be ingested, not skipped.
 *
 * @module
 */

import type { Journal } from "../wal/mod.ts";
import type { KvStore } from "../store/mod.ts";
import { durableEnd } from "./lag.ts";
import { retrying } from "./retry.ts";

/** Options of {@linkcode rewindCursor}. */
export interface RewindCursorOptions {
  /**
   * Consumer whose registered offset moves back with the cursor (the
   * ingestor's, so cleanup does not delete the segments it is to read).
   * @default {"ingestor"}
   */
  consumer?: string;
}

/** Where {@linkcode rewindCursor} moved a cursor from and to. */
export interface RewoundCursor {
  /** The cursor before: past the durable end. */
  from: number;
  /** The cursor now: the journal's durable end. */
  to: number;
}

/**
 * Move `journal`'s cursor in `store` back to the journal's durable end when
 * it is past it, with the consumer offset; `null` when it is not (nothing is
 * written). The records between the end and the old cursor are gone from the
 * journal, but their effects stay in the store; every record appended from
 * the end on is then ingested. Run it before anything is appended to the cut
 * journal: once the journal grows back past the old cursor, nothing can tell
 * the records appended since the cut from those applied before it.
 *
 * @throws {Error} If another ingestor moved the cursor meanwhile (run it again).
 *
 * @example Rewind after a point-in-time cut
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 * import { KvStore } from "@stemedb/ingest/store";
 * import { rewindCursor } from "@stemedb/ingest/ingest";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(`${dir}/wal`);
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * // A cursor left past the end, as a cut journal leaves it.
 * const { versionstamp } = await store.readCursor(journal.id);
 * const ahead = { journalId: journal.id, expect: versionstamp, sets: [], deadLetters: [] };
 * await store.commitBatch({ ...ahead, cursor: journal.durableOffset + 4_096 });
 * assert.deepEqual(await rewindCursor(journal, store), {
 *   from: journal.durableOffset + 4_096,
 *   to: journal.durableOffset,
 * });
 * assert.equal(await rewindCursor(journal, store), null);
 * store.close();
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function rewindCursor(
  journal: Journal,
  store: KvStore,
  options: RewindCursorOptions = {},
): Promise<RewoundCursor | null> {
  // The cursor first: an end read after it is at least the end its committer saw.
  const cursor = await retrying(() => store.readCursor(journal.id), {
    limitMs: store.timeoutMs,
  });
  const end = await durableEnd(journal);
  if (cursor.offset === null || cursor.offset <= end) return null;
  const result = await store.commitBatch({
    journalId: journal.id,
    expect: cursor.versionstamp,
    sets: [],
    deadLetters: [],
    cursor: end,
    consumer: options.consumer ?? "ingestor",
    commit: crypto.randomUUID(),
  });
  if (!result.ok) {
    throw new Error(
      `Cannot rewind the cursor of journal "${journal.dir}": another ingestor moved it ` +
        "meanwhile; run it again",
    );
  }
  return { from: cursor.offset, to: end };
}
