/**
 * Exact lag, kept current in memory for the process that writes the journal:
 * the end offset of every durable record past the committed cursor, indexed
 * as it becomes durable. Records behind are then counted, not estimated or
 * capped, without reading the journal or the store per question; the HTTP
 * layer's backpressure and `GET /metrics` read it for free, and `GET /status`
 * counts with it.
 *
 * How it stays exact: on start it reads the committed cursor and indexes the
 * durable records past it (one read of that stretch of the journal). After
 * that, the appender hands it each append's results (`observe()`: the HTTP
 * write routes do), which carry every record's end, so nothing is read again;
 * each time the durable end moves (`Journal.onDurable()`) it indexes the new
 * stretch from those results, and reads from the journal only what no
 * observed append covers (records appended by someone else in the process).
 * Every `pollIntervalMs` it re-reads the cursor (one KV read, whichever
 * ingestor moved it) and drops the ends at or below it. Memory is 8 bytes per
 * record behind, which the service's `--max-lag` bounds.
 *
 * @module
 */
import { clearImmediate, setImmediate } from "node:timers";
import { telemetry } from "../telemetry/mod.ts";
import { RecordEnds } from "./_record_ends.ts";
import { retrying } from "./retry.ts";

/** What the tracker reads of a journal (a `Journal` open as the writer). */
export interface TrackedJournal {
  /** Journal id. */
  readonly id: string;
  /** End of durable data. */
  readonly durableOffset: number;
  /** Base offset of the oldest segment: where an absent cursor starts. */
  readonly firstOffset: number;
  /** Records from `offset` up to `options.end`. */
  readFrom(offset: number, options?: { end?: number }): AsyncIterable<{ next: number }>;
  /** Call `listener` each time the durable end moves; returns the unsubscribe function. */
  onDurable(listener: (durableEnd: number) => void): () => void;
}

/** What the tracker reads of a store (a `KvStore`). */
export interface TrackedStore {
  /** A journal's committed cursor. */
  readCursor(journalId: string): Promise<{ offset: number | null }>;
  /** Deadline of each call in ms (`KvStore.timeoutMs`): transient failures are retried within it. */
  readonly timeoutMs?: number;
}

/** Options of {@linkcode LagTracker.start}. */
export interface LagTrackerOptions {
  /**
   * How often the committed cursor is re-read, in milliseconds.
   * @default {100}
   */
  pollIntervalMs?: number;
  /**
   * Duration of the latest fdatasync (a `TimedFileLayer`'s `lastSyncMs`),
   * recorded with each group commit.
   * @default undefined
   */
  lastSyncMs?: () => number;
}

/** The lag as last tracked. */
export interface TrackedLag {
  /** Durable records past the cursor: exact when `exact`, else a lower bound. */
  records: number;
  /** Durable bytes past the cursor. */
  bytes: number;
  /** Age of the oldest durable record past the cursor, in seconds (0 when none). */
  seconds: number;
  /** The committed cursor as last read. */
  cursor: number;
  /** The durable end the count reaches. */
  durableOffset: number;
  /** Whether every durable record has been indexed (false while catching up). */
  exact: boolean;
  /** Records applied per second over the recent past (0 before two cursor reads). */
  applyRate: number;
}

/** One move of the durable end, as the tracker saw it. */
export interface GroupCommit {
  /** Durable end before it. */
  from: number;
  /** Durable end after it. */
  end: number;
  /** Records it made durable. */
  records: number;
  /** When it became durable (`performance.timeOrigin`-based ms, as spans take). */
  durableAt: number;
  /** Duration of the fdatasync just before it, in ms, when known. */
  syncMs?: number;
}

interface Pending {
  from: number;
  end: number;
  at: number;
  wall: number;
  syncMs?: number;
}

/** Groups kept after they were counted, for requests that ask about theirs late. */
const RECENT_GROUPS = 1024;

/** End of the last record of an observed append. */
function lastEnd(results: readonly { next: number }[]): number {
  return results[results.length - 1].next;
}

/**
 * Tracks a journal's lag against its committed cursor exactly, in memory.
 *
 * @example Count records behind exactly
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal } from "@stemedb/ingest/wal";
 * import { KvStore } from "@stemedb/ingest/store";
 * import { LagTracker } from "@stemedb/ingest/ingest";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(`${dir}/wal`);
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const tracker = await LagTracker.start(journal, store);
 * await journal.appendBatch([new Uint8Array(8), new Uint8Array(8), new Uint8Array(8)]);
 * await tracker.settled();
 * assert.equal(tracker.lag.records, 3);
 * await tracker.close();
 * store.close();
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class LagTracker {
  #journal: TrackedJournal;
  #store: TrackedStore;
  #lastSyncMs: (() => number) | undefined;
  /** Ends of indexed records. */
  #ends = new RecordEnds();
  /** Offset the index starts at: records starting here or later are indexed. */
  #floor: number;
  #scanned: number;
  #durable: number;
  #cursor: number;
  #startWall = Date.now();
  /** Durable-end moves not yet indexed, then kept a while for `group()`. */
  #pending: Pending[] = [];
  /** The last RECENT_GROUPS groups counted, ascending by end: a ring from `#recentHead`. */
  #recent: GroupCommit[] = [];
  #recentHead = 0;
  /** Requests waiting for the group of the record ending at `next`, ascending by `next`. */
  #waiters: { next: number; resolve: (group: GroupCommit | undefined) => void }[] = [];
  /** Wall times of the groups past the cursor, for the age of the oldest record. */
  #ages: { end: number; wall: number }[] = [];
  #scan: Promise<void> | null = null;
  #scheduled: ReturnType<typeof setImmediate> | undefined;
  /**
   * Observed appends not yet indexed, ascending, live from `#observedHead`:
   * the results as handed over (each record's end is its `next`), not copied.
   */
  #observed: (readonly { offset: number; next: number }[])[] = [];
  #observedHead = 0;
  #rate = 0;
  #rateSample: { at: number; records: number } | null = null;
  #appliedTotal = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #poll: Promise<void> | null = null;
  #unsubscribe: () => void;
  #unobserve: (() => void)[];
  #closed = false;
  #failure: unknown = null;

  private constructor(
    journal: TrackedJournal,
    store: TrackedStore,
    cursor: number,
    options: LagTrackerOptions,
  ) {
    this.#journal = journal;
    this.#store = store;
    this.#lastSyncMs = options.lastSyncMs;
    this.#cursor = this.#floor = this.#scanned = cursor;
    this.#durable = Math.max(cursor, journal.durableOffset);
    // Records already durable at start: their age is counted from now.
    if (this.#durable > cursor) this.#ages.push({ end: this.#durable, wall: this.#startWall });
    this.#unsubscribe = journal.onDurable((end) => this.#moved(end));
    const labels = { journal: journal.id };
    this.#unobserve = [
      telemetry.lagRecords.observe(() => [{ labels, value: this.lag.records }]),
      telemetry.lagBytes.observe(() => [{ labels, value: this.lag.bytes }]),
      telemetry.lagSeconds.observe(() => [{ labels, value: this.lag.seconds }]),
    ];
    const pollMs = options.pollIntervalMs ?? 100;
    const tick = () => {
      this.#poll = this.#readCursor().finally(() => {
        this.#poll = null;
        if (!this.#closed) {
          this.#timer = setTimeout(tick, pollMs);
          Deno.unrefTimer(this.#timer as unknown as number);
        }
      });
    };
    this.#timer = setTimeout(tick, pollMs);
    Deno.unrefTimer(this.#timer as unknown as number);
    this.#kick();
  }

  /**
   * Read the committed cursor of `journal` in `store` and start tracking from
   * it; the records already behind are indexed in the background (`exact`
   * turns true once they are).
   */
  static async start(
    journal: TrackedJournal,
    store: TrackedStore,
    options: LagTrackerOptions = {},
  ): Promise<LagTracker> {
    const { offset } = await retrying(() => store.readCursor(journal.id), {
      limitMs: store.timeoutMs,
    });
    return new LagTracker(journal, store, offset ?? journal.firstOffset, options);
  }

  /** The lag as last tracked: no I/O. */
  get lag(): TrackedLag {
    const records = this.#ends.size;
    const oldest = this.#ages.find((a) => a.end > this.#cursor);
    return {
      records,
      bytes: Math.max(0, this.#durable - this.#cursor),
      seconds: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest.wall) / 1000),
      cursor: this.#cursor,
      durableOffset: this.#scanned,
      exact: this.#scanned >= this.#durable,
      applyRate: this.#rate,
    };
  }

  /**
   * Records that start at or after `from` and end at or before `to`, when the
   * index covers that stretch (`from` at or past the cursor last read, `to`
   * at or before the end indexed); `undefined` otherwise.
   */
  count(from: number, to: number): number | undefined {
    if (from < this.#floor || to > this.#scanned || from > to) return undefined;
    return this.#ends.countTo(to) - this.#ends.countTo(from);
  }

  /**
   * The group commit that made the record ending at `next` durable, once the
   * tracker has counted it; `undefined` if it is no longer known.
   */
  group(next: number): Promise<GroupCommit | undefined> {
    if (next <= this.#scanned) return Promise.resolve(this.#recentGroup(next));
    // Never to be counted: unknown.
    if (this.#closed || this.#failure !== null) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiters = this.#waiters;
      // Appends resolve in offset order, so a waiter almost always goes last.
      let at = waiters.length;
      while (at > 0 && waiters[at - 1].next > next) at--;
      waiters.splice(at, 0, { next, resolve });
    });
  }

  /** The recent group holding the record ending at `next`, by binary search of the ring. */
  #recentGroup(next: number): GroupCommit | undefined {
    const recent = this.#recent;
    const n = recent.length;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (recent[(this.#recentHead + mid) % n].end < next) lo = mid + 1;
      else hi = mid;
    }
    const group = lo < n ? recent[(this.#recentHead + lo) % n] : undefined;
    return group !== undefined && group.from < next ? group : undefined;
  }

  /**
   * Hand over the results of an append (in offset order, as they resolve):
   * their record ends are indexed without reading the journal.
   */
  observe(results: readonly { offset: number; next: number }[]): void {
    if (results.length === 0 || this.#closed || this.#failure !== null) return;
    const observed = this.#observed;
    const last = observed.length > this.#observedHead ? observed[observed.length - 1] : undefined;
    // Out of order (should not happen): drop it, the journal read covers the stretch.
    if (last !== undefined && results[0].offset < last[last.length - 1].next) return;
    observed.push(results);
  }

  /** Resolves once everything durable so far is indexed and the cursor re-read. */
  async settled(): Promise<void> {
    if (this.#failure !== null) throw this.#failure;
    await this.#readCursor();
    while (this.#scan !== null || this.#scheduled !== undefined) {
      await (this.#scan ?? new Promise((resolve) => setTimeout(resolve, 1)));
    }
    if (this.#failure !== null) throw this.#failure;
  }

  /** Stop tracking: no more reads; the gauges stop reporting this journal. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#unsubscribe();
    for (const stop of this.#unobserve) stop();
    await this.#poll;
    while (this.#scan !== null) await this.#scan;
    this.#resolveWaiters();
  }

  /** No group will be counted any more (closed or failed): nobody waits for one. */
  #resolveWaiters(): void {
    for (const { resolve } of this.#waiters) resolve(undefined);
    this.#waiters = [];
  }

  #moved(end: number): void {
    if (end <= this.#durable) return;
    const now = performance.timeOrigin + performance.now();
    const wall = Date.now();
    const syncMs = this.#lastSyncMs?.();
    this.#pending.push({ from: this.#durable, end, at: now, wall, syncMs });
    this.#ages.push({ end, wall });
    this.#durable = end;
    this.#kick();
  }

  /**
   * Index soon: after the current task, by when the appends a durable move
   * resolved have been observed (they resolve right after it is published).
   * `setImmediate`, not `setTimeout(0)`: one per group commit, and the timer
   * costs a millisecond or more of the event loop's time (see the writer's
   * flush schedule).
   */
  #kick(): void {
    if (this.#scan !== null || this.#scheduled !== undefined || this.#closed) return;
    this.#scheduled = setImmediate(() => {
      this.#scheduled = undefined;
      this.#scan = this.#index().catch((error) => {
        // A read failure leaves the count unknown: say so rather than report a wrong one.
        this.#failure = error;
        this.#observed = [];
        this.#observedHead = 0;
        this.#resolveWaiters();
      }).finally(() => {
        this.#scan = null;
        if (this.#scanned < this.#durable && this.#failure === null) this.#kick();
      });
    });
  }

  /** Index the records between the end indexed and the durable end. */
  async #index(): Promise<void> {
    while (this.#scanned < this.#durable && !this.#closed) {
      const durable = this.#durable;
      if (this.#cursor > this.#scanned) this.#skipTo(this.#cursor);
      const observed = this.#observed;
      while (
        this.#observedHead < observed.length &&
        lastEnd(observed[this.#observedHead]) <= this.#scanned
      ) {
        this.#observedHead++;
      }
      const next = observed[this.#observedHead];
      if (next !== undefined && next[0].offset <= this.#scanned) {
        // An observed append covers the stretch: its ends, no read.
        let i = 0;
        while (i < next.length && next[i].next <= this.#scanned) i++;
        for (; i < next.length && next[i].next <= durable; i++) {
          this.#push(next[i].next);
          this.#scanned = next[i].next;
        }
        if (i === next.length) this.#observedHead++;
        else break; // the rest is not durable yet (durability "interval")
      } else {
        const from = this.#scanned;
        const end = next === undefined ? durable : Math.min(next[0].offset, durable);
        for await (const record of this.#journal.readFrom(from, { end })) this.#push(record.next);
        // The cursor may have jumped past `end` meanwhile (#skipTo): never move back.
        this.#scanned = Math.max(this.#scanned, end);
      }
      this.#countGroups();
    }
    this.#countGroups();
    // Drop the consumed head of the queue now and then, not one shift per append.
    if (this.#observedHead > 1024 || this.#observedHead === this.#observed.length) {
      this.#observed = this.#observed.slice(this.#observedHead);
      this.#observedHead = 0;
    }
  }

  /** The cursor moved past the end indexed: nothing below it needs indexing. */
  #skipTo(offset: number): void {
    this.#ends.clear();
    this.#floor = this.#scanned = offset;
    this.#pending = this.#pending.filter((p) => p.end > offset);
  }

  #push(end: number): void {
    // Applied while it was being read (the cursor moved past it): not behind.
    if (end <= this.#cursor) return;
    this.#ends.push(end);
  }

  #countGroups(): void {
    while (this.#pending.length > 0 && this.#pending[0].end <= this.#scanned) {
      const p = this.#pending.shift()!;
      const from = Math.max(p.from, this.#floor);
      const records = this.#ends.countTo(p.end) - this.#ends.countTo(from);
      const group: GroupCommit = {
        from: p.from,
        end: p.end,
        records,
        durableAt: p.at,
        ...(p.syncMs === undefined ? {} : { syncMs: p.syncMs }),
      };
      telemetry.groupRecords.record(records);
      telemetry.groupBytes.record(p.end - p.from);
      if (this.#recent.length < RECENT_GROUPS) this.#recent.push(group);
      else {
        this.#recent[this.#recentHead] = group;
        this.#recentHead = (this.#recentHead + 1) % RECENT_GROUPS;
      }
      // Waiters are ascending: those of this group are at the front, behind any of earlier ones.
      const waiters = this.#waiters;
      let done = 0;
      while (done < waiters.length && waiters[done].next <= p.end) {
        const { next, resolve } = waiters[done++];
        resolve(p.from < next ? group : undefined);
      }
      if (done > 0) waiters.splice(0, done);
    }
  }

  async #readCursor(): Promise<void> {
    if (this.#closed) return;
    let offset: number | null;
    try {
      ({ offset } = await retrying(() => this.#store.readCursor(this.#journal.id), {
        limitMs: this.#store.timeoutMs,
      }));
    } catch {
      return; // the store is unreachable: keep the last known cursor, try again next tick
    }
    if (offset === null || offset <= this.#cursor) return;
    const before = this.#ends.size;
    this.#cursor = offset;
    if (offset > this.#scanned) this.#skipTo(offset);
    else {
      this.#ends.dropTo(offset);
      this.#floor = offset;
    }
    while (this.#ages.length > 0 && this.#ages[0].end <= offset) this.#ages.shift();
    this.#sampleRate(before - this.#ends.size);
  }

  #sampleRate(applied: number): void {
    this.#appliedTotal += Math.max(0, applied);
    const now = performance.now();
    const sample = this.#rateSample;
    if (sample === null) {
      this.#rateSample = { at: now, records: this.#appliedTotal };
      return;
    }
    const seconds = (now - sample.at) / 1000;
    if (seconds < 0.5) return;
    const rate = (this.#appliedTotal - sample.records) / seconds;
    // Smoothed over a few seconds: one slow commit should not swing Retry-After.
    this.#rate = this.#rate === 0 ? rate : 0.7 * this.#rate + 0.3 * rate;
    this.#rateSample = { at: now, records: this.#appliedTotal };
  }
}
