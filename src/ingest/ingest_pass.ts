/**
 * One pass of the ingestor: from the committed cursor to the journal's durable
 * end (or a record/time budget), in atomic commits that each carry their
 * records' mutations, their dead letters and the new cursor, guarded by a
 * versionstamp check on the cursor key.
 *
 * @module
 */
import type { Journal } from "../wal/mod.ts";
import { CommitBuilder, type KvStore } from "../store/mod.ts";
import { CommitPipeline, type Cursor } from "./commit_pipeline.ts";
import type { IngestReport, RunOnceOptions } from "./options.ts";
import { retrying } from "./retry.ts";
import { CursorAheadError } from "./errors.ts";

/** Running figures a pass updates, kept by the Ingestor across passes. */
export interface PassStats {
  /** Records read (for the records-behind estimate). */
  recordsRead: number;
  /** Bytes those records span in the journal, headers included. */
  bytesRead: number;
  /** Wall-clock time of the last successful commit, ms since the epoch. */
  lastCommitAt: number | null;
}

/** Everything a pass works with. */
export interface PassContext {
  /** The journal to read. */
  journal: Journal;
  /** The store to apply records to. */
  store: KvStore;
  /**
   * Most records per commit.
   * @default {Infinity}
   */
  batchRecords?: number;
  /** Stops the pass between records (what is packed is still committed). */
  signal?: AbortSignal;
  /** Figures updated as the pass goes. */
  stats: PassStats;
  /** Consumer name whose registered offset each commit moves along with the cursor. */
  consumer: string;
  /** Called with the new cursor offset after each confirmed commit. */
  onCommit?: (cursor: number) => void;
}

/** The committed cursor of `journal`; an absent cursor starts at the oldest segment. */
export async function committedCursor(journal: Journal, store: KvStore): Promise<Cursor> {
  const c = await retrying(() => store.readCursor(journal.id), { limitMs: store.timeoutMs });
  const cursor: Cursor = { offset: c.offset ?? journal.firstOffset, versionstamp: c.versionstamp };
  if (c.commit !== undefined) cursor.commit = c.commit;
  return cursor;
}

/** Run one pass; see `Ingestor.runOnce()`. */
export async function ingestPass(
  ctx: PassContext,
  options: RunOnceOptions = {},
): Promise<IngestReport> {
  const { journal } = ctx;
  const deadline = performance.now() + (options.timeBudgetMs ?? Infinity);
  const maxRecords = options.maxRecords ?? Infinity;
  let cursor = await committedCursor(journal, ctx.store);
  // A reader's view of the durable end is as of its last refresh; the writer may be another
  // process. Refreshed after the cursor is read, so it is at least the end its committer saw.
  if (journal.readOnly) await journal.refresh();
  if (cursor.offset > journal.durableOffset) {
    const { id: journalId, dir, durableOffset } = journal;
    throw new CursorAheadError({ journalId, dir, cursor: cursor.offset, durableOffset });
  }
  const report: IngestReport = {
    applied: 0,
    deadLettered: 0,
    commits: 0,
    conflicts: 0,
    from: cursor.offset,
    to: cursor.offset,
    caughtUp: false,
    joined: false,
  };
  const budget = {
    exhausted: () =>
      ctx.signal?.aborted === true || performance.now() >= deadline ||
      report.applied + report.deadLettered >= maxRecords,
    remaining: () => maxRecords - report.applied - report.deadLettered,
    deadline,
  };
  while (!budget.exhausted() && cursor.offset < journal.durableOffset) {
    const outcome = await pump(ctx, cursor, report, budget);
    if (outcome.conflict) {
      report.conflicts++;
      cursor = await committedCursor(journal, ctx.store);
      continue;
    }
    // No record between the cursor and the durable end as the journal reads it: nothing to do.
    const stuck = outcome.cursor.offset === cursor.offset;
    cursor = outcome.cursor;
    if (outcome.stopped || stuck) break;
  }
  report.to = cursor.offset;
  report.caughtUp = cursor.offset >= journal.durableOffset;
  return report;
}

interface Budget {
  exhausted(): boolean;
  remaining(): number;
  deadline: number;
}

interface PumpOutcome {
  /** Last confirmed cursor. */
  cursor: Cursor;
  /** A commit failed its versionstamp check. */
  conflict: boolean;
  /** The budget ran out (as opposed to reaching the end read). */
  stopped: boolean;
}

/**
 * Read from `from` and commit what the store's commit builder makes of the
 * records, one commit in flight while the next is built.
 */
async function pump(
  ctx: PassContext,
  from: Cursor,
  report: IngestReport,
  budget: Budget,
): Promise<PumpOutcome> {
  const { journal } = ctx;
  const packing = commitPath(ctx, from, report, budget);
  const { builder, pipeline } = packing;
  try {
    // Read to the durable end and send what is packed. While that commit
    // waited for the one before it, more records may have become durable:
    // read and pack those with it in flight, rather than settle it first and
    // leave the next pass to find them.
    while (true) {
      const read = await readAndPack(ctx, packing);
      if (read === "conflict") return conflict(pipeline);
      // Nothing read: caught up, or a stretch the journal does not yield as records.
      if (read !== "read") break;
      // Caught up with a commit in flight: the next commit cannot go before it settles, so
      // what becomes durable meanwhile joins the next one (fuller commits, none sent later).
      if (pipeline.inFlight && await durableBefore(journal, packing.at, pipeline)) continue;
      if (!(await pipeline.send(builder.take()))) return conflict(pipeline);
      // The same holds for the commit just sent.
      if (!(await durableBefore(journal, packing.at, pipeline))) break;
    }
    if (!(await pipeline.send(builder.take())) || !(await pipeline.settle())) {
      return conflict(pipeline);
    }
    return { cursor: pipeline.cursor, conflict: false, stopped: packing.stopped };
  } finally {
    // Whatever ended the pump, the commit in flight ends before the pass does.
    await pipeline.outcome();
  }
}

/** A pump's commit path and how far it has read. */
interface Packing {
  builder: CommitBuilder;
  pipeline: CommitPipeline;
  /** Where the next record to read starts. */
  at: number;
  /** Records handed to the builder since the pump began, committed or not. */
  read: number;
  /** Most records the pump may read. */
  quota: number;
  /** Time the pump stops reading at, `performance.now()` scale. */
  deadline: number;
  /** The budget ran out. */
  stopped: boolean;
}

/** The builder and the pipeline sending its commits over `from`, counting into `report`. */
function commitPath(
  ctx: PassContext,
  from: Cursor,
  report: IngestReport,
  budget: Budget,
): Packing {
  const { journal, store, stats } = ctx;
  const builder = new CommitBuilder(store, {
    journalId: journal.id,
    consumer: ctx.consumer,
    maxRecords: ctx.batchRecords,
  });
  const pipeline = new CommitPipeline(builder, {
    cursor: from,
    lagBytes: (end) => Math.max(0, journal.durableOffset - end),
    readCursor: () => committedCursor(journal, store),
    signal: ctx.signal,
    onCommitted: (planned) => {
      report.commits++;
      report.applied += planned.applied;
      report.deadLettered += planned.deadLettered;
      stats.lastCommitAt = Date.now();
      ctx.onCommit?.(planned.end);
    },
  });
  const quota = budget.remaining();
  return {
    builder,
    pipeline,
    at: from.offset,
    read: 0,
    quota,
    deadline: budget.deadline,
    stopped: false,
  };
}

/**
 * Read from `p.at` to the durable end, packing each record and sending each
 * commit that fills up: `"read"` (some records), `"none"` (caught up, or a
 * stretch the journal does not yield as records), `"stopped"` (the budget ran
 * out) or `"conflict"` (a commit failed its versionstamp check).
 */
async function readAndPack(
  ctx: PassContext,
  p: Packing,
): Promise<"read" | "none" | "stopped" | "conflict"> {
  const { journal, stats, signal } = ctx;
  const before = p.read;
  // The batch's payloads are views into read buffers the journal never reuses:
  // the builder may keep them (sets, dead letters) without a copy.
  for await (const batch of journal.readBatches(p.at, { end: journal.durableOffset })) {
    for (const rec of batch) {
      if (p.read >= p.quota || signal?.aborted || performance.now() >= p.deadline) {
        p.stopped = true;
        return "stopped";
      }
      stats.recordsRead++;
      stats.bytesRead += rec.next - rec.offset;
      p.read++;
      p.at = rec.next;
      if (p.builder.add(rec)) continue;
      if (!(await p.pipeline.send(p.builder.take()))) return "conflict";
      p.builder.add(rec);
    }
  }
  return p.read === before ? "none" : "read";
}

/**
 * Whether `journal`'s durable end passes `at` before the commit in flight in
 * `pipeline` has its outcome. Only a writer tells of its durable end in
 * process: for a reader, false.
 */
async function durableBefore(
  journal: Journal,
  at: number,
  pipeline: CommitPipeline,
): Promise<boolean> {
  if (journal.durableOffset > at) return true;
  if (journal.readOnly) return false;
  const durable = Promise.withResolvers<boolean>();
  const unsubscribe = journal.onDurable((end) => {
    if (end > at) durable.resolve(true);
  });
  try {
    return await Promise.race([durable.promise, pipeline.outcome().then(() => false)]);
  } finally {
    unsubscribe();
  }
}

function conflict(pipeline: CommitPipeline): PumpOutcome {
  return { cursor: pipeline.cursor, conflict: true, stopped: false };
}
