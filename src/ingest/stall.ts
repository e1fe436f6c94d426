/**
 * The errors that stall an ingestor, as the `IngestStall` that `lag()`,
 * `Ingestor.stalled` and the status views report: one mapping for all.
 *
 * @module
 */

import { CorruptJournalError } from "../wal/mod.ts";
import { CursorAheadError } from "./errors.ts";
import type { IngestStall } from "./options.ts";

/** The stall `error` stops an ingestor with; `null` when it is not one that does. */
export function stallOf(error: unknown): IngestStall | null {
  if (error instanceof CorruptJournalError) {
    return {
      kind: "corrupt-journal",
      file: error.file,
      offset: error.offset,
      reason: error.reason,
    };
  }
  if (error instanceof CursorAheadError) {
    return {
      kind: "cursor-ahead",
      file: error.dir,
      offset: error.cursor,
      reason: `cursor past the durable end ${error.durableOffset}`,
      durableOffset: error.durableOffset,
    };
  }
  return null;
}
