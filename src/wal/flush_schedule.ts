/**
 * When the writer's flusher takes an event-loop turn, when durability
 * "interval" syncs, and when an fdatasync may block the event loop.
 *
 * The flusher's own awaits are microtasks, and with durability "interval" or
 * "none" (or blocking fdatasyncs) a group commit needs no other: a saturating
 * appender would starve every timer and all I/O of the process, the interval
 * sync among them. So once {@linkcode TURN_MS} have passed since the flusher
 * last went through the event loop, it takes a turn: its next write or
 * fdatasync goes to Deno's thread pool (the event loop polls I/O while it
 * waits), then it waits for a `setImmediate` (the event loop runs due timers).
 * Both halves are needed, as measured on Deno 2.9 under load: a quick
 * thread-pool op alone lets a 10 ms timer wait 200 ms, `setImmediate` alone
 * lets an HTTP request wait 250 ms; `setTimeout(0)` does both but costs a
 * millisecond or more. With the default async fdatasyncs of "always" every
 * group waits on the disk anyway, so no turn is ever due and it costs nothing.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Durability } from "./options.ts";

/**
 * Longest run, in ms, of the flusher without an event-loop turn before its
 * next write or fdatasync is sent to the thread pool: one round trip (tens of
 * µs) per TURN_MS, a few percent at most of a loop that never waits otherwise.
 */
export const TURN_MS = 2;

/** Settings of a FlushSchedule. */
export interface FlushScheduleInit {
  /** Durability mode. */
  durability: Durability;
  /** Interval for durability "interval". */
  syncIntervalMs: number;
  /** Longest fdatasync the event loop may block on (0: never block). */
  blockingSyncMs: number;
}

/** The flusher's clock: turns, interval syncs and blocking flushes. */
export class FlushSchedule {
  #init: FlushScheduleInit;
  /** When the flusher last went through the event loop (an awaited thread-pool op). */
  #turnAt = performance.now();
  /** When the last sync that covered everything written then began. */
  #syncedAt = performance.now();
  /** How long the last flush of the active segment took, in ms. */
  #lastSyncMs = 0;

  /** Durability "interval": the sync timer. */
  #interval: ReturnType<typeof setInterval> | undefined;
  /** Armed while the flusher is idle, to see the event loop turn. */
  #idle: ReturnType<typeof setTimeout> | undefined;

  /**
   * A schedule that starts with everything synced and a turn just taken;
   * with durability "interval" it calls `onInterval` every `syncIntervalMs`
   * (the flusher syncs on it when idle; under load `intervalDue` tells it).
   */
  constructor(init: FlushScheduleInit, onInterval: () => void) {
    this.#init = init;
    if (init.durability === "interval") {
      this.#interval = setInterval(() => {
        this.turned(); // a timer runs only when the event loop turns
        onInterval();
      }, init.syncIntervalMs);
      Deno.unrefTimer(this.#interval as unknown as number);
    }
  }

  /**
   * The flusher went idle: a timer records when the event loop has turned
   * since. A new run cannot simply assume it did: appenders that work for a
   * few microtasks between appends restart the flusher once per group.
   */
  idle(): void {
    if (this.#idle !== undefined) return;
    this.#idle = setTimeout(() => {
      this.#idle = undefined;
      this.turned();
    }, 0);
    Deno.unrefTimer(this.#idle as unknown as number);
  }

  /** Clear the timers (the writer is closing). */
  stop(): void {
    clearInterval(this.#interval);
    clearTimeout(this.#idle);
  }

  /** Whether the flusher has run longer than TURN_MS without an event-loop turn. */
  get turnDue(): boolean {
    return performance.now() - this.#turnAt > TURN_MS;
  }

  /** The flusher just came back from an event-loop turn. */
  turned(): void {
    this.#turnAt = performance.now();
  }

  /** After a thread-pool op (I/O polled), let the event loop run its due timers too. */
  async turn(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.turned();
  }

  /** Durability "interval" with unsynced bytes: has `syncIntervalMs` passed since the last sync? */
  intervalDue(unsynced: boolean): boolean {
    return this.#init.durability === "interval" && unsynced &&
      performance.now() - this.#syncedAt >= this.#init.syncIntervalMs;
  }

  /** A sync that began at `startedAt` covered everything written before it. */
  synced(startedAt: number): void {
    this.#syncedAt = startedAt;
  }

  /**
   * Whether the next fdatasync may block the event loop: while the last one
   * was quicker than `blockingSyncMs` and no turn is due. So the event loop is
   * blocked for at most TURN_MS plus one group's write and fdatasync at a time.
   */
  get mayBlock(): boolean {
    return this.#lastSyncMs < this.#init.blockingSyncMs && !this.turnDue;
  }

  /** The last flush took `ms` (an async one's time includes its hand-offs). */
  flushed(ms: number): void {
    this.#lastSyncMs = ms;
  }
}
