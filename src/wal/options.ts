/**
 * Options and result types of the journal.
 *
 * @module
 */
import type { CorruptionReason } from "./errors.ts";
import type { FileLayer } from "./file_layer.ts";

/**
 * When an append resolves and when its bytes become visible to readers.
 *
 * - `"always"`: each group commit is written and fdatasync'ed before its appends
 *   resolve; the durable end is published after the sync.
 * - `"interval"`: appends resolve once written; every `syncIntervalMs`, under
 *   any append load (a due sync goes before the next group commit), the writer
 *   fdatasyncs what is written and then publishes the durable end. A power loss
 *   can take at most the appends acknowledged since the last completed sync
 *   began: about one interval, plus the sync in flight.
 * - `"none"`: appends resolve once written and the end is published right
 *   after the write, before any sync (a power loss can lose acknowledged appends,
 *   and the published end can run ahead of the data: reopen such a journal with
 *   `recovery: "point-in-time"` after an OS crash).
 *
 * Rotation always fdatasyncs the segment it seals, and `close()` fdatasyncs
 * whatever is still unsynced, in every mode. In every mode, too, the writer
 * runs at most about 2 ms (and one group commit) without letting the event
 * loop turn (its next write or fdatasync goes to the thread pool, then it
 * lets due timers run), so timers fire and I/O is served however fast
 * appends arrive.
 *
 * @example Resolve appends before they are synced
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir, { durability: "interval", syncIntervalMs: 50 });
 * await journal.append(new Uint8Array([1]));
 * await journal.close(); // syncs what is written
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export type Durability = "always" | "interval" | "none";

/**
 * How `Journal.open()` treats damage it finds, in the spirit of RocksDB's WAL
 * recovery modes (docs/FORMAT.md 1.7 has the full table). "Acknowledged" means
 * below the published durable end or in a sealed segment; anything from the
 * first bad record at or past the durable end of the last segment is an
 * unacknowledged (torn) tail. Damage is a bad record, a missing or misplaced
 * segment, or bytes missing below the durable end.
 *
 * - `"tolerate-torn-tail"`: truncate a torn tail; damage to acknowledged data
 *   throws CorruptJournalError naming the segment file, offset and reason, and
 *   nothing is modified.
 * - `"absolute"`: any problem, even a torn tail, throws; nothing is modified.
 * - `"point-in-time"`: cut at the first damage (the last whole, verified
 *   record before it) and delete every later segment; what was dropped is reported.
 * - `"skip-corrupt"`: skip bad acknowledged records and missing segments
 *   (readers resync to the next valid record and report it), set misplaced
 *   sealed segments aside, and still truncate a torn tail.
 *
 * Afterwards the journal reads from its first offset to its end without an
 * error (skip-corrupt: in that mode) and the next append lands on a record boundary.
 *
 * @example Refuse even a torn tail
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir, { recovery: "absolute" });
 * assert.deepEqual(journal.recovery?.events, []);
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export type RecoveryMode = "tolerate-torn-tail" | "absolute" | "point-in-time" | "skip-corrupt";

/**
 * Options of `Journal.open()`.
 *
 * @example Options for a reader and a writer
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal, type JournalOptions } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const options: JournalOptions = { segmentBytes: 1 << 20, durability: "always", recovery: "tolerate-torn-tail" };
 * const writer = await Journal.open(dir, options);
 * const reader = await Journal.open(dir, { ...options, readOnly: true });
 * assert.equal(reader.readOnly, true);
 * await reader.close();
 * await writer.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface JournalOptions {
  /**
   * Open a reader: takes no lock, never writes anything, reads up to the
   * durable end the writer publishes.
   * @default {false}
   */
  readOnly?: boolean;
  /**
   * Size at which the active segment is sealed and a new one begun. A record
   * never spans segments; a record larger than this gets a segment of its own.
   * @default {67108864} (64 MiB)
   */
  segmentBytes?: number;
  /**
   * Largest payload accepted on append and on read (checked before allocating).
   * @default {16777216} (16 MiB)
   */
  maxRecordBytes?: number;
  /**
   * Cap on the bytes one group commit writes with one write and one fdatasync
   * (always at least one record or one whole `appendBatch`).
   * @default {1048576} (1 MiB)
   */
  groupCommitBytes?: number;
  /**
   * When appends resolve; see {@linkcode Durability}.
   * @default {"always"}
   */
  durability?: Durability;
  /**
   * Zero-fill the active segment this far ahead of its last record (durability
   * `"always"` and `"interval"`). An fdatasync that only overwrites allocated
   * blocks commits no file-size change, which on ext4 and XFS makes it about
   * half as slow as one that grows the file; zeros past the last record of
   * the active segment read as its end (docs/FORMAT.md 1.3). Best effort: a
   * zero fill that fails (ENOSPC) is skipped until the next segment, and only
   * the records' own write decides an append's fate. `0` turns it off
   * (copy-on-write file systems such as btrfs and ZFS gain nothing from it).
   * @default {1048576} (1 MiB)
   */
  preallocateBytes?: number;
  /**
   * Longest fdatasync, in milliseconds, the writer may run on the event loop's
   * own thread. While the last flush took less than this, the next one is a
   * blocking fdatasync: it saves the two thread hand-offs of an async one
   * (tens of microseconds per group commit on a VM, about a fifth more
   * appends per second with 64 concurrent appenders), at the price of
   * blocking the event loop for the flush. A flush that takes longer sends
   * the following ones back to Deno's thread pool until one is quick again,
   * and once the writer has run 2 ms without an event-loop turn its next flush
   * is async too. So the event loop is blocked for at most about 2 ms plus one
   * group commit's write and fdatasync at a time: `blockingSyncMs` + 2 ms
   * while flushes stay quick; a flush that turns slow blocks once for its
   * whole duration, not every flush of a slow disk. Suits a process that does
   * little besides appending; a server that must answer other requests during
   * flushes keeps `0`, never blocking.
   * @default {0}
   */
  blockingSyncMs?: number;
  /**
   * Sync period for durability `"interval"`, in milliseconds.
   * @default {100}
   */
  syncIntervalMs?: number;
  /**
   * How damage found on open is treated; see {@linkcode RecoveryMode}.
   * @default {"tolerate-torn-tail"}
   */
  recovery?: RecoveryMode;
  /**
   * `"tail"`: open verifies every record of the active (last) segment, at most
   * one segment however long the log (length and CRC-32C, BLAKE3 too past the
   * durable end); sealed segments are checked for placement only, and readers
   * name damage in them (see `repairJournal()`). `"full"`: verify length,
   * CRC-32C and BLAKE3 of every record of every segment.
   * @default {"tail"}
   */
  verify?: "tail" | "full";
  /**
   * The file layer all I/O goes through (fault-injection hook).
   * @default {denoFileLayer}
   */
  fs?: FileLayer;
  /**
   * Called for everything recovery (or a skip-corrupt reader) finds and does.
   * @default {undefined}
   */
  onRecovery?: (event: RecoveryEvent) => void;
}

/**
 * Options of `Journal.readFrom()` and `Journal.readBatches()`.
 *
 * @example Use ReadFromOptions
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * const [a, b] = await journal.appendBatch([new Uint8Array([1]), new Uint8Array([2])]);
 * const seen = [];
 * for await (const r of journal.readFrom(a.offset, { end: b.offset })) seen.push(r.offset);
 * assert.deepEqual(seen, [a.offset]);
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface ReadFromOptions {
  /**
   * Stop before the first record starting at or past this offset.
   * @default {undefined} (the durable end)
   */
  end?: number;
  /**
   * Abort the iteration.
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * Where an appended record landed.
 *
 * @example Use AppendResult
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * const result = await journal.append(new Uint8Array([1]));
 * assert.equal(result.digest.length, 32);
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface AppendResult {
  /** Global offset of the record. */
  offset: number;
  /** Global offset just past the record (the next record's offset). */
  next: number;
  /** BLAKE3-256 of the payload. */
  digest: Uint8Array;
}

/**
 * A record read back from the journal.
 *
 * @example Use JournalRecord
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * const { offset, digest } = await journal.append(new Uint8Array([1]));
 * const record = await journal.read(offset);
 * assert.deepEqual(record.digest, digest);
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface JournalRecord {
  /** Global offset of the record. */
  offset: number;
  /** Global offset just past the record. */
  next: number;
  /**
   * The payload bytes: a copy the caller owns from `read()` and `readFrom()`,
   * a view into a read buffer the journal never writes over from `readBatches()`.
   */
  payload: Uint8Array;
  /** The stored BLAKE3-256 digest of the payload (a copy or a view, as `payload`). */
  digest: Uint8Array;
}

/**
 * One segment file of the journal.
 *
 * @example Use SegmentInfo
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * const [segment] = await journal.segments();
 * assert.ok(segment.path.endsWith("00000000000000000000.wal"));
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface SegmentInfo {
  /** Global offset of its first byte. */
  base: number;
  /** Global offset just past its last byte (for the active segment: what is written). */
  end: number;
  /** Path of the file. */
  path: string;
  /** Whether it is sealed (complete and durable) rather than the active segment. */
  sealed: boolean;
}

/**
 * Something recovery found or did.
 *
 * @example Use RecoveryEvent
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const events: string[] = [];
 * const journal = await Journal.open(dir, { onRecovery: (e) => events.push(`${e.kind} at ${e.offset}`) });
 * assert.deepEqual(events, []);
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface RecoveryEvent {
  /**
   * `"truncated"`: a torn tail was cut off; `"dropped"`: point-in-time recovery
   * cut acknowledged data or deleted a segment; `"skipped"`: a bad record was
   * skipped (skip-corrupt); `"missing"`: acknowledged bytes are gone.
   */
  kind: "truncated" | "dropped" | "skipped" | "missing";
  /** Segment file involved. */
  file: string;
  /** Global offset where the damage starts. */
  offset: number;
  /** What was wrong there. */
  reason: CorruptionReason;
  /** How many bytes were cut, dropped or skipped. */
  bytes: number;
}

/**
 * What `Journal.open()` found and did.
 *
 * @example Use RecoveryReport
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * assert.equal(journal.recovery?.mode, "tolerate-torn-tail");
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface RecoveryReport {
  /** The recovery mode used. */
  mode: RecoveryMode;
  /** The durable end published before the open, or `null` if unknown. */
  publishedEnd: number | null;
  /** Global offset where the scan of the last segment began: its base. */
  scannedFrom: number;
  /** Bytes the recovery scans verified. */
  scannedBytes: number;
  /** End of the journal after recovery. */
  end: number;
  /** Every event, in order. */
  events: RecoveryEvent[];
}

/**
 * One problem found by `verifyJournal()`.
 *
 * @example Inspect problems
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal, verifyJournal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * await journal.close();
 * const { problems } = await verifyJournal(dir);
 * assert.deepEqual(problems, []);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface VerifyProblem {
  /** Segment file (or metadata / durable file). */
  file: string;
  /** Global offset. */
  offset: number;
  /** What failed. */
  reason: CorruptionReason;
}

/**
 * Result of `verifyJournal()`.
 *
 * @example Read a report
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal, verifyJournal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * await journal.append(new Uint8Array([1]));
 * await journal.close();
 * const report = await verifyJournal(dir);
 * assert.equal(report.records, 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface VerifyReport {
  /** Number of segment files. */
  segments: number;
  /** Records that verified. */
  records: number;
  /** Bytes of records in the segment files (preallocated zeros past the last record not counted). */
  bytes: number;
  /** The published durable end, or `null` if unknown. */
  durableOffset: number | null;
  /** Every problem found, in offset order. */
  problems: VerifyProblem[];
}
