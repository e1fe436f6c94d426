/**
 * `stemedb repair`: the operator's way out when `verify`, or a reader, names
 * damage in the journal (a sealed segment, most often): `repairJournal()` with
 * the mode the operator picks, its actions printed. Takes the writer's lock.
 *
 * @module
 */

import { repairJournal, type RepairOptions } from "../wal/mod.ts";
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
  emit(input.json, { dir: walDir, ...report }, () => {
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
    const summary = table([...head, ["end", report.end], [
      "repaired",
      `${report.actions.length} action(s)`,
    ]]);
    return `${summary}\n\n${columns(rows)}`;
  });
  return EXIT_OK;
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
