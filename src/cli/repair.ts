/**
 * `stemedb repair`: the operator's way out when `verify`, or a reader, names
 * damage in the journal (a sealed segment, most often): `repairJournal()` with
 * the mode the operator picks, its actions printed. Takes the writer's lock.
 *
 * @module
 */

import { Journal, repairJournal, type RepairOptions } from "../wal/mod.ts";
import { rewindCursor, type RewoundCursor } from "../ingest/mod.ts";
import { isRemoteKv, openStore } from "../config/data_dir.ts";
import { type Command, type CommandInput, stringOption } from "./_command.ts";
import { emit, EXIT_OK, table, UsageError } from "./_output.ts";
import { withScanProgress } from "./_segment_reads.ts";

/** The repair modes, in the order help and errors name them. */
const MODES: readonly RepairOptions["recovery"][] = ["point-in-time", "skip-corrupt"];

/** The `repair` command. */
export const repairCommand: Command = {
  name: "repair",
  summary: "Repair damage verify names: cut the journal there, or fill it keeping every offset",
  usage: `repair --recovery ${MODES.join("|")}`,
  description: [
    "Verifies every record of every segment and mends what does not verify, rewriting no",
    "byte that does. Run it after verify (or a reader) names damage, with the writer",
    "stopped: it takes the writer's lock.",
    "  point-in-time  cut at the first damage; every record after it is dropped",
    "  skip-corrupt   overwrite each damaged range with filler records of its size, so",
    "                 every other record keeps its offset (the ingestor dead-letters fillers)",
    "Each action is printed with its segment file, offset, bytes and reason. Exit code 0",
    'when the journal verifies afterwards (also when there was "nothing to repair").',
    "After a point-in-time cut below the ingest cursor in the store (--kv), the cursor is",
    "moved back to the cut, so records appended from there on are ingested.",
  ].join("\n"),
  options: {
    recovery: {
      type: "string",
      value: MODES.join("|"),
      description: "How to repair (required): cut at the damage, or fill it",
    },
  },
  positionals: [0, 0],
  run: runRepair,
};

/** The `--recovery` value, which has no default: each mode loses something different. */
function recoveryOption(input: CommandInput): RepairOptions["recovery"] {
  const raw = stringOption(input, "recovery");
  const choices = MODES.map((m) => `"${m}"`).join(" or ");
  if (raw === undefined) {
    throw new UsageError(`Cannot run "repair" without option "--recovery": choose ${choices}`);
  }
  const mode = MODES.find((m) => m === raw);
  if (mode === undefined) {
    throw new UsageError(`Invalid value for option "--recovery": "${raw}" (expected ${choices})`);
  }
  return mode;
}

async function runRepair(input: CommandInput): Promise<number> {
  const recovery = recoveryOption(input);
  const walDir = input.config.walDir;
  const report = await withScanProgress(
    { label: "repair", dir: walDir, json: input.json },
    (fs) => repairJournal(walDir, { recovery, fs }),
  );
  // Only a cut moves the end below offsets already handed out; a fill keeps every offset.
  const cut = recovery === "point-in-time" && report.actions.length > 0;
  const rewound = cut ? await rewindAfterCut(input) : null;
  emit(input.json, { dir: walDir, ...report, rewound }, () => {
    const head: [string, unknown][] = [["journal", walDir], ["recovery", recovery]];
    if (report.actions.length === 0) {
      const summary = table([...head, ["end", report.end]]);
      return `${summary}\nnothing to repair: every record verifies`;
    }
    const rows = [
      ["action", "file", "offset", "bytes", "reason"],
      ...report.actions.map((a) => [
        a.action,
        a.file.startsWith(`${walDir}/`) ? a.file.slice(walDir.length + 1) : a.file,
        String(a.offset),
        String(a.bytes),
        a.reason,
      ]),
    ];
    const summary = table([
      ...head,
      ["end", report.end],
      ["repaired", `${report.actions.length} action(s)`],
      ...(rewound === null ? [] : [[
        "ingest cursor",
        `moved back from ${rewound.from} to ${rewound.to} in "${input.config.kv}"`,
      ] as [string, string]]),
    ]);
    return `${summary}\n\n${columns(rows)}`;
  });
  return EXIT_OK;
}

/**
 * After a cut, move the ingest cursor of the journal in the store back to the
 * journal's new end when it is past it, holding the writer's lock so that
 * nothing is appended in between: `null` when there is no store or the cursor
 * was not past the cut.
 */
async function rewindAfterCut(input: CommandInput): Promise<RewoundCursor | null> {
  if (!isRemoteKv(input.config.kv) && !(await exists(input.config.kv))) return null;
  let journal: Journal | null = null;
  try {
    journal = await Journal.open(input.config.walDir);
    const store = await openStore(input.config, { create: false });
    try {
      return await rewindCursor(journal, store);
    } finally {
      store.close();
    }
  } catch (error) {
    throw new Error(
      `Cannot move the ingest cursor back after the cut of "${input.config.walDir}" ` +
        `(the repair itself is done): ${(error as Error).message}; run "stemedb ingest ` +
        '--rewind-cursor" before anything is appended',
      { cause: error },
    );
  } finally {
    await journal?.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Rows as columns aligned on the widest cell, numbers (offset, bytes) right-aligned. */
function columns(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const numeric = new Set([2, 3]);
  return rows.map((r) =>
    r.map((cell, i) =>
      i === r.length - 1 ? cell : numeric.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])
    ).join("  ")
  ).join("\n");
}
