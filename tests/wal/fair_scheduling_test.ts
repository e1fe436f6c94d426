// Fair scheduling: under any append load, in every durability mode, the writer
// lets the event loop run (timers, I/O, the interval sync). These tests assert
// that behaviour with bounds generous enough for a loaded 2-core VM; a writer
// that only yields microtasks fails every one of them (its timers fire 0 times).
import assert from "node:assert/strict";
import { type Durability, Journal, type JournalOptions } from "../../src/wal/mod.ts";
import { TURN_MS } from "../../src/wal/flush_schedule.ts";
import { denoFileLayer, type FileLayer } from "../../src/wal/mod.ts";
import { payload, withTempDir } from "./_util.ts";

/** How long each saturating run lasts. */
const RUN_MS = 800;

/**
 * `tasks` appenders, each awaiting its own appends back to back until
 * `stop()`, after `busyTurns` microtask turns of other work per append (so the
 * writer may find its queue empty between groups and start a new run).
 */
function saturate(journal: Journal, tasks: number, busyTurns = 0): { stop(): Promise<number> } {
  let running = true;
  let acked = 0;
  const work = Array.from({ length: tasks }, async (_, t) => {
    for (let i = 0; running; i++) {
      await journal.append(payload(t * 1_000_003 + i, 64));
      for (let k = 0; k < busyTurns; k++) await null;
      acked++;
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(work);
      return acked;
    },
  };
}

/** A chain of `setTimeout(…, everyMs)`: how many fired and the longest gap between fires. */
function timerProbe(everyMs: number): { stop(): { fires: number; longestGapMs: number } } {
  let fires = 0;
  let last = performance.now();
  let longestGapMs = 0;
  let id: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
    fires++;
    id = setTimeout(tick, everyMs);
  };
  id = setTimeout(tick, everyMs);
  return {
    stop() {
      clearTimeout(id);
      longestGapMs = Math.max(longestGapMs, performance.now() - last);
      return { fires, longestGapMs };
    },
  };
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

const MODES: [Durability, JournalOptions][] = [
  ["always", {}],
  ["always", { blockingSyncMs: 1 }],
  ["interval", { syncIntervalMs: 100 }],
  ["none", {}],
];

for (const [durability, extra] of MODES) {
  for (const busyTurns of [0, 16]) {
    const label = (extra.blockingSyncMs ? `, blockingSyncMs ${extra.blockingSyncMs}` : "") +
      (busyTurns > 0 ? ", doing microtask work between appends," : "");
    Deno.test(`Journal with durability "${durability}"${label} lets a 10 ms timer fire under a saturating appender`, async () => {
      await withTempDir(async (dir) => {
        const journal = await Journal.open(dir, { durability, ...extra });
        const load = saturate(journal, 1, busyTurns);
        const probe = timerProbe(10);
        await delay(RUN_MS);
        const { fires, longestGapMs } = probe.stop();
        const acked = await load.stop();
        await journal.close();
        assert.ok(acked > 0, "the appender made progress");
        // Ideal: RUN_MS / 10 = 80 fires; a starved event loop gives 0.
        assert.ok(fires >= 20, `the 10 ms timer fired ${fires} times in ${RUN_MS} ms`);
        assert.ok(longestGapMs < 250, `the timer waited up to ${longestGapMs.toFixed(0)} ms`);
      });
    });
  }
}

Deno.test('Journal with durability "interval" syncs every few syncIntervalMs under a saturating appender', async () => {
  await withTempDir(async (dir) => {
    const syncIntervalMs = 50;
    const journal = await Journal.open(dir, { durability: "interval", syncIntervalMs });
    const published: number[] = [];
    journal.onDurable(() => published.push(performance.now()));
    const started = performance.now();
    const load = saturate(journal, 1);
    await delay(RUN_MS);
    const stopped = performance.now();
    const acked = await load.stop();
    await journal.close();
    assert.ok(acked > 0);
    // Ideal: one sync per 50 ms, 16 in the run; a writer that syncs only when idle makes none.
    assert.ok(published.length >= 4, `${published.length} syncs in ${RUN_MS} ms`);
    let gap = published[0] - started;
    for (let i = 1; i < published.length; i++) gap = Math.max(gap, published[i] - published[i - 1]);
    gap = Math.max(gap, stopped - published[published.length - 1]);
    assert.ok(gap < 8 * syncIntervalMs, `the durable end stood still for ${gap.toFixed(0)} ms`);
  });
});

Deno.test('Journal with durability "interval" lets an HTTP server of the same process answer under a saturating appender', async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { durability: "interval" });
    const server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      () => new Response("ok"),
    );
    const load = saturate(journal, 1);
    const latencies: number[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        const response = await fetch(`http://127.0.0.1:${server.addr.port}/`, {
          signal: AbortSignal.timeout(5_000),
        });
        assert.equal(await response.text(), "ok");
        latencies.push(performance.now() - started);
      }
    } finally {
      await load.stop();
      await server.shutdown();
      await journal.close();
    }
    // Requests are answered while the appender runs (a starved loop answers none until it stops).
    assert.ok(Math.max(...latencies) < 1_000, latencies.map((l) => l.toFixed(0)).join(", "));
  });
});

/** Run `fn` in a fresh directory on tmpfs (quick fdatasyncs), or a temp dir without one. */
async function withQuickDir(fn: (dir: string) => Promise<void>): Promise<void> {
  let dir: string;
  try {
    dir = await Deno.makeTempDir({ dir: "/dev/shm", prefix: "stemedb_wal_" });
  } catch {
    return await withTempDir(fn);
  }
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The real file layer, timing each blocking fdatasync of a segment. */
function timedLayer(): FileLayer & { longestBlockingSyncMs: number; blockingSyncs: number } {
  const layer = {
    ...denoFileLayer,
    longestBlockingSyncMs: 0,
    blockingSyncs: 0,
    async open(path: string, options: Deno.OpenOptions) {
      const file = await denoFileLayer.open(path, options);
      const syncDataSync = file.syncDataSync?.bind(file);
      if (!path.endsWith(".wal") || syncDataSync === undefined) return file;
      file.syncDataSync = () => {
        const started = performance.now();
        syncDataSync();
        layer.blockingSyncs++;
        layer.longestBlockingSyncMs = Math.max(
          layer.longestBlockingSyncMs,
          performance.now() - started,
        );
      };
      return file;
    },
  };
  return layer;
}

Deno.test("Journal with blockingSyncMs stalls a timer under 64 appenders by at most TURN_MS and one flush", async () => {
  // On tmpfs (when there is one) every fdatasync is quick, so every flush may
  // block: the case where a writer without turns chains thousands of them
  // (and stalls the timer for the whole run, RUN_MS / 2). Three runs, judged
  // by the median of their longest stalls, each beside a control: the same
  // probe with no appender, whose longest gap is what the machine itself
  // deschedules the process for (a loaded VM does, by tens of milliseconds).
  const stalls: number[] = [];
  const controls: number[] = [];
  let longestFlushMs = 0;
  for (let run = 0; run < 3; run++) {
    const control = timerProbe(1);
    await delay(RUN_MS / 4);
    controls.push(control.stop().longestGapMs);
    await withQuickDir(async (dir) => {
      const fs = timedLayer();
      const journal = await Journal.open(dir, { fs, blockingSyncMs: 1 });
      const load = saturate(journal, 64);
      const probe = timerProbe(1);
      await delay(RUN_MS / 2);
      stalls.push(probe.stop().longestGapMs);
      await load.stop();
      await journal.close();
      assert.ok(fs.blockingSyncs > 0, "some flushes blocked");
      longestFlushMs = Math.max(longestFlushMs, fs.longestBlockingSyncMs);
    });
  }
  stalls.sort((a, b) => a - b);
  controls.sort((a, b) => a - b);
  // The documented bound (JournalOptions.blockingSyncMs): TURN_MS, then one
  // group's write and fdatasync; the slack covers timer granularity and the
  // machine's own descheduling, as the control measured it.
  const bound = TURN_MS + longestFlushMs + 30 + controls[1];
  assert.ok(
    stalls[1] < bound,
    `a 1 ms timer waited ${stalls.map((s) => s.toFixed(1)).join(", ")} ms; ` +
      `longest blocking flush ${longestFlushMs.toFixed(1)} ms; ` +
      `without appenders ${controls.map((s) => s.toFixed(1)).join(", ")} ms`,
  );
});
