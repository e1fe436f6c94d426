/**
 * `stemedb verify`: a full integrity scan of the journal (every record's
 * length, CRC-32C and BLAKE3). Exit code 0 only when the log is sound.
 *
 * @module
 */

import { verifyJournal } from "../wal/mod.ts";
import type { Command, CommandInput } from "./_command.ts";
import {
  emit,
  EXIT_FAILURE,
  EXIT_OK,
  formatBytes,
  printErr,
  REPAIR_STEP,
  table,
} from "./_output.ts";
import { withScanProgress } from "./_segment_reads.ts";

/** The `verify` command. */
export const verifyCommand: Command = {
  name: "verify",
  summary: "Scan the whole journal: lengths, CRC-32C and BLAKE3 of every record",
  usage: "verify",
  description: [
    "Reads every segment of the journal and checks every record's length, CRC-32C and",
    "BLAKE3 digest, without taking the writer's lock. Each problem is reported with its",
    "segment file and offset. Exit code 0 only when the log is sound, 1 otherwise.",
  ].join("\n"),
  options: {},
  positionals: [0, 0],
  run: runVerify,
};

async function runVerify(input: CommandInput): Promise<number> {
  const walDir = input.config.walDir;
  const report = await withScanProgress(
    { label: "verify", dir: walDir, json: input.json },
    (fs) => verifyJournal(walDir, { fs }),
  );
  const sound = report.problems.length === 0;
  emit(input.json, { sound, dir: input.config.walDir, ...report }, () => {
    const summary = table([
      ["journal", input.config.walDir],
      ["segments", report.segments],
      ["records", report.records],
      ["bytes", formatBytes(report.bytes)],
      ["durable end", report.durableOffset],
      ["result", sound ? "sound" : `${report.problems.length} problem(s)`],
    ]);
    const problems = report.problems.map((p) =>
      `problem: segment "${p.file}" offset ${p.offset}: ${p.reason}`
    );
    return [summary, ...problems].join("\n");
  });
  if (!sound) {
    const problems = `${report.problems.length} problem(s)`;
    printErr(`Journal "${input.config.walDir}" is not sound: ${problems}; ${REPAIR_STEP}`);
  }
  return sound ? EXIT_OK : EXIT_FAILURE;
}
