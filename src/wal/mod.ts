/**
 * The stemedb write-ahead log: a durable, segmented journal of opaque records
 * (format version 2, see docs/FORMAT.md section 1) with group commit, a
 * published durable end for readers in other processes, and recovery that
 * tells a torn tail from corruption of acknowledged data.
 *
 * @example Append, then read from the start
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir, { segmentBytes: 4096 });
 * await journal.appendBatch([new Uint8Array([1]), new Uint8Array([2])]);
 * const payloads = [];
 * for await (const record of journal.readFrom(journal.firstOffset)) payloads.push(record.payload[0]);
 * assert.deepEqual(payloads, [1, 2]);
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export { Journal } from "./journal.ts";
export type {
  AppendResult,
  Durability,
  JournalOptions,
  JournalRecord,
  ReadFromOptions,
  RecoveryEvent,
  RecoveryMode,
  RecoveryReport,
  SegmentInfo,
  VerifyProblem,
  VerifyReport,
} from "./options.ts";
export { verifyJournal, type VerifyOptions } from "./verify.ts";
export {
  type RepairAction,
  repairJournal,
  type RepairOptions,
  type RepairReport,
} from "./repair.ts";
export { parseSegmentName, segmentName } from "./segment_name.ts";
export { JournalWatcher } from "./journal_watcher.ts";
export { denoFileLayer, type FileHandle, type FileLayer } from "./file_layer.ts";
export { TimedFileLayer } from "./timed_file_layer.ts";
export {
  type CorruptionReason,
  CorruptJournalError,
  JournalClosedError,
  JournalError,
  JournalIOError,
  JournalLockedError,
  JournalNotFoundError,
  OffsetError,
  RecordSizeError,
} from "./errors.ts";
export * from "./format.ts";
