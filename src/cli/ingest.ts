/**
 * `stemedb ingest`: apply the journal to Deno KV, once (default), following
 * it until SIGINT/SIGTERM (`--follow`), or on a `Deno.cron` schedule (`--cron`).
 *
 * @module
 */

import { Ingestor, rewindCursor, type RewoundCursor, scheduleIngest } from "../ingest/mod.ts";
import type { Journal } from "../wal/mod.ts";
import type { KvStore as Store } from "../store/mod.ts";
import { openJournal, openStore } from "../config/data_dir.ts";
import { type Command, type CommandInput, stringOption } from "./_command.ts";
import { emit, EXIT_OK, formatRate, printErr, rate, table, UsageError } from "./_output.ts";
import { onStopSignal } from "./_signals.ts";
import { progressWanted, REDRAW_MS, redrawMs, startPhase } from "./_progress.ts";

/** Passes of a one-shot ingest last about this many redraw intervals, so the bar moves. */
const PASS_REDRAWS = 2.5;
/** Shortest pass: a pass spends some time reading the cursor before its first record. */
const MIN_PASS_MS = 20;

/** The `ingest` command. */
export const ingestCommand: Command = {
  name: "ingest",
  summary: "Apply journal records to Deno KV (once, --follow or --cron)",
  usage: 'ingest [--follow | --cron "<schedule>"] [--rewind-cursor] [--kv-timeout <ms>]',
  description: [
    "Applies durable journal records to Deno KV exactly once, from the journal's cursor.",
    "Default: once, until caught up. --follow keeps tailing until SIGINT/SIGTERM.",
    '--cron "*/5 * * * *" ingests at once, then on that Deno.cron schedule until stopped.',
    "The journal is opened read-only, so this works while another process writes.",
    "--rewind-cursor first moves a cursor left past the journal's durable end (the journal",
    "was cut: a point-in-time repair of a library user, a restore from an older copy) back",
    "to that end, so records appended from there are ingested; run it before anything is",
    "appended to the cut journal (repair does it itself).",
  ].join("\n"),
  options: {
    follow: { type: "boolean", short: "f", description: "Keep tailing the journal until stopped" },
    cron: { type: "string", value: "schedule", description: "Run on a Deno.cron schedule" },
    "rewind-cursor": {
      type: "boolean",
      description: "First move a cursor past the journal's durable end back to it",
    },
    "kv-timeout": {
      type: "string",
      value: "ms",
      description: "Deadline of each Deno KV call (env STEMEDB_KV_TIMEOUT_MS; default 30000)",
    },
  },
  positionals: [0, 0],
  run: runIngest,
};

async function runIngest(input: CommandInput): Promise<number> {
  const schedule = stringOption(input, "cron");
  const follow = input.values.follow === true;
  if (follow && schedule !== undefined) {
    throw new UsageError('Cannot combine "--follow" and "--cron"');
  }
  const journal = await openJournal(input.config, { readOnly: true });
  try {
    const store = await openStore(input.config);
    try {
      const rewound = input.values["rewind-cursor"] === true
        ? await rewind(journal, store)
        : undefined;
      if (follow || schedule !== undefined) {
        return await runLong(input, { journal, store, rewound }, schedule);
      }
      return await runOnce(input, { journal, store, rewound });
    } finally {
      store.close();
    }
  } finally {
    await journal.close();
  }
}

/** What an ingest works on, and what `--rewind-cursor` did (`undefined`: not asked). */
interface IngestWork {
  journal: Journal;
  store: Store;
  rewound?: RewoundCursor | null;
}

/** `--rewind-cursor`: the cursor moved back, said on stderr either way. */
async function rewind(journal: Journal, store: Store): Promise<RewoundCursor | null> {
  const rewound = await rewindCursor(journal, store);
  printErr(
    rewound === null
      ? `The cursor of journal "${journal.dir}" is not past its durable end ` +
        `${journal.durableOffset}: nothing to rewind`
      : `Moved the cursor of journal "${journal.dir}" back from ${rewound.from} to its ` +
        `durable end ${rewound.to}`,
  );
  return rewound;
}

async function runOnce(input: CommandInput, work: IngestWork): Promise<number> {
  const { journal, store, rewound } = work;
  const ingestor = new Ingestor(journal, store);
  const started = performance.now();
  const totals = { applied: 0, deadLettered: 0, commits: 0, conflicts: 0, from: -1, to: -1 };
  // Stop at the durable end seen now, so a busy writer cannot keep a one-shot run going forever.
  const target = journal.readOnly ? await journal.refresh() : journal.durableOffset;
  const progress = progressWanted(input.json);
  const phase = startPhase({ label: "ingest", unit: "records", enabled: progress });
  const passMs = Math.max(MIN_PASS_MS, PASS_REDRAWS * (progress ? redrawMs() : REDRAW_MS));
  let budget = passMs;
  try {
    while (true) {
      // Passes of bounded time, so the bar moves; each ends on a committed batch.
      const report = await ingestor.runOnce({ timeBudgetMs: budget });
      // A pass whose budget ran out before its first record is retried with a longer one.
      budget = report.to === report.from ? budget * 2 : passMs;
      if (totals.from < 0) totals.from = report.from;
      totals.to = report.to;
      totals.applied += report.applied;
      totals.deadLettered += report.deadLettered;
      totals.commits += report.commits;
      totals.conflicts += report.conflicts;
      if (report.caughtUp || report.to >= target) break;
      if (progress) {
        const done = totals.applied + totals.deadLettered;
        // Records behind are the ingestor's estimate from the mean record size seen so far.
        const behind = (await ingestor.lag()).records;
        phase.update(done, {
          total: behind === undefined ? undefined : done + behind,
          detail: `${totals.commits} commits`,
        });
      }
    }
    const done = totals.applied + totals.deadLettered;
    phase.update(done, { total: done, detail: `${totals.commits} commits` });
  } finally {
    phase.finish();
  }
  const elapsedMs = performance.now() - started;
  const records = totals.applied + totals.deadLettered;
  emit(input.json, {
    mode: "once",
    journal: journal.id,
    ...(rewound === undefined ? {} : { rewound }),
    ...totals,
    elapsedMs: Math.round(elapsedMs),
    recordsPerSecond: Math.round(rate(records, elapsedMs)),
  }, () =>
    table([
      ["applied", totals.applied],
      ["dead-lettered", totals.deadLettered],
      ["commits", totals.commits],
      ["offsets", `${totals.from} .. ${totals.to}`],
      ["elapsed", `${(elapsedMs / 1000).toFixed(2)} s`],
      ["rate", formatRate(records, elapsedMs)],
    ]));
  return EXIT_OK;
}

async function runLong(
  input: CommandInput,
  work: IngestWork,
  schedule: string | undefined,
): Promise<number> {
  const { journal, store, rewound } = work;
  const stop = onStopSignal();
  try {
    const announce = (what: string) =>
      printErr(
        `Ingesting "${input.config.walDir}" into "${input.config.kv}", ${what} (Ctrl-C to stop)`,
      );
    if (schedule === undefined) {
      announce("following");
      const ingestor = new Ingestor(journal, store, { signal: stop.signal });
      ingestor.start();
      await stop.stopped;
      await ingestor.stop();
    } else {
      let scheduled;
      try {
        scheduled = scheduleIngest(journal, store, schedule, {
          signal: stop.signal,
          onReport: (r) => {
            if (r.applied + r.deadLettered > 0) {
              printErr(`Ingested ${r.applied} record(s), ${r.deadLettered} dead-lettered`);
            }
          },
        });
      } catch (error) {
        // Deno.cron throws TypeError for a schedule it cannot parse: a usage mistake.
        const message = `Cannot schedule ingest on "${schedule}": ${(error as Error).message}`;
        if (error instanceof TypeError) throw new UsageError(message);
        throw new Error(message, { cause: error });
      }
      announce(`on schedule "${schedule}"`);
      // Catch up now rather than waiting up to a whole period for the first tick.
      await scheduled.tick();
      await stop.stopped;
      await scheduled.close();
    }
  } finally {
    stop.dispose();
  }
  const cursor = (await store.readCursor(journal.id)).offset;
  if (journal.readOnly) await journal.refresh();
  emit(input.json, {
    mode: schedule === undefined ? "follow" : "cron",
    journal: journal.id,
    ...(rewound === undefined ? {} : { rewound }),
    cursor,
    durableOffset: journal.durableOffset,
    lagBytes: Math.max(0, journal.durableOffset - (cursor ?? 0)),
  }, () => `Stopped at offset ${cursor ?? 0} of ${journal.durableOffset}`);
  return EXIT_OK;
}
