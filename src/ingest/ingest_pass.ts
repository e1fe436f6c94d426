/**
 * One pass of the ingestor: from the committed cursor to the journal's durable
 * end (or a record/time budget), in atomic commits that each carry their
 * records' mutations, their dead letters and the new cursor, guarded by a
 * versionstamp check on the cursor key.
 *
 * @module
 */
import type { Journal, JournalRecord } from "../wal/mod.ts";
import type { DeadLetter, KvStore } from "../store/mod.ts";
import { BatchPacker, type PackedBatch, packLimits, setsCost } from "./batch_packer.ts";
import type { IngestReport, RunOnceOptions } from "./options.ts";
import { retrying } from "./retry.ts";

/** A committed cursor: where the next record starts and the cursor key's versionstamp. */
export interface Cursor {
  /** Offset of the next record to apply. */
  offset: number;
  /** Versionstamp of the cursor key, `null` while it does not exist. */
  versionstamp: string | null;
}

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
}

/** Reason given to the dead letter of a record whose sets cannot fit one commit. */
export const TOO_LARGE_REASON = "too large for KV";

/** Read the committed cursor of `journal`; an absent cursor starts at the oldest segment. */
export async function readCursor(journal: Journal, store: KvStore): Promise<Cursor> {
  const c = await retrying(() => store.readCursor(journal.id));
  return { offset: c.offset ?? journal.firstOffset, versionstamp: c.versionstamp };
}

type Settled = { ok: true; versionstamp: string } | { ok: false } | { error: unknown };

/** Run one pass; see `Ingestor.runOnce()`. */
export async function ingestPass(
  ctx: PassContext,
  options: RunOnceOptions = {},
): Promise<IngestReport> {
  const { journal } = ctx;
  const deadline = performance.now() + (options.timeBudgetMs ?? Infinity);
  const maxRecords = options.maxRecords ?? Infinity;
  // A reader's view of the durable end is as of its last refresh; the writer may be another process.
  if (journal.readOnly) await journal.refresh();
  let cursor = await readCursor(journal, ctx.store);
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
      cursor = await readCursor(journal, ctx.store);
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
 * Read from `from` and commit batch after batch. One commit is in flight while
 * the next batch is packed; the next one is sent only after it succeeded,
 * because it must name that commit's versionstamp.
 */
async function pump(
  ctx: PassContext,
  from: Cursor,
  report: IngestReport,
  budget: Budget,
): Promise<PumpOutcome> {
  const { journal, store, stats } = ctx;
  const budget0 = store.batchBudget(journal.id, { consumer: ctx.consumer });
  const packer = new BatchPacker(packLimits(budget0, ctx.batchRecords));
  let cursor = from;
  let inflight: { batch: PackedBatch; result: Promise<Settled> } | null = null;
  let packed = 0; // records packed since `from`, committed or not
  const quota = budget.remaining();

  const settle = async (): Promise<boolean> => {
    if (inflight === null) return true;
    const { batch, result } = inflight;
    inflight = null;
    const r = await result;
    if ("error" in r) throw r.error;
    if (!r.ok) return false;
    cursor = { offset: batch.end, versionstamp: r.versionstamp };
    report.commits++;
    report.applied += batch.applied;
    report.deadLettered += batch.deadLettered;
    stats.lastCommitAt = Date.now();
    return true;
  };
  const send = async (batch: PackedBatch | null): Promise<boolean> => {
    if (!(await settle())) return false;
    if (batch === null) return true;
    const commit = {
      journalId: journal.id,
      expect: cursor.versionstamp,
      sets: batch.sets,
      deadLetters: batch.deadLetters,
      cursor: batch.end,
      lag: { bytes: Math.max(0, journal.durableOffset - batch.end) },
      consumer: ctx.consumer,
    };
    const result: Promise<Settled> = retrying(() => store.commitBatch(commit)).then(
      (r): Settled => r.ok ? { ok: true, versionstamp: r.versionstamp! } : { ok: false },
      (error): Settled => ({ error }),
    );
    inflight = { batch, result };
    return true;
  };

  try {
    let stopped = false;
    for await (const rec of journal.readFrom(from.offset, { end: journal.durableOffset })) {
      if (packed >= quota || ctx.signal?.aborted || performance.now() >= budget.deadline) {
        stopped = true;
        break;
      }
      stats.recordsRead++;
      stats.bytesRead += rec.next - rec.offset;
      const add = planRecord(ctx, packer, rec);
      if (!add()) {
        if (!(await send(packer.take()))) return { cursor, conflict: true, stopped: false };
        if (!add()) {
          throw new RangeError(
            `Cannot pack record at offset ${rec.offset}: no room in an empty batch`,
          );
        }
      }
      packed++;
    }
    if (!(await send(packer.take())) || !(await settle())) {
      return { cursor, conflict: true, stopped: false };
    }
    return { cursor, conflict: false, stopped };
  } finally {
    // An error left a commit in flight: wait for it so nothing runs on after the pass.
    if (inflight !== null) await (inflight as { result: Promise<Settled> }).result;
  }
}

/**
 * Plan one record and return how to add it to the packer: its sets, or a
 * dead letter when it is poison or its sets cannot fit even an empty commit.
 */
function planRecord(ctx: PassContext, packer: BatchPacker, rec: JournalRecord): () => boolean {
  const { store, journal } = ctx;
  const { offset, payload, digest, next } = rec;
  const plan = store.recordMutations(payload, digest);
  let reason: string;
  if (plan.ok) {
    const cost = setsCost(plan.sets);
    if (packer.fitsAlone(cost)) return () => packer.tryAddSets(plan.sets, cost, next);
    reason = `${TOO_LARGE_REASON}: ${cost.mutations} mutations, ${cost.bytes} bytes, ` +
      `${cost.keyBytes} key bytes`;
  } else {
    reason = plan.reason;
  }
  const letter: DeadLetter = { journalId: journal.id, offset, reason, payload };
  const cost = setsCost([store.deadLetterSet(letter)]);
  return () => packer.tryAddDeadLetter(letter, cost, next);
}
