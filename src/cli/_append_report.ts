/**
 * What an `append` run reports: its totals, the rejects it echoes, the
 * figures it prints when it ends, and, when it stops part-way, exactly what
 * is durable and the `--from-line` that resumes it.
 *
 * @module
 */

import type { CommandInput } from "./_command.ts";
import {
  emit,
  EXIT_FAILURE,
  EXIT_OK,
  formatBytes,
  formatRate,
  printErr,
  rate,
  table,
} from "./_output.ts";

/** Most rejects echoed on stderr (all of them go to `--rejects`). */
const MAX_ECHOED_REJECTS = 20;

/** One rejected input line. */
export interface Reject {
  line: number;
  reason: string;
  field?: string;
  text?: string;
}

/** What a run has appended, skipped and rejected so far. */
export interface Totals {
  records: number;
  /** Valid records not appended because `--dedupe` found them stored. */
  skipped: number;
  payloadBytes: number;
  inputBytes: number;
  firstOffset: number | null;
  lastOffset: number | null;
  nextOffset: number | null;
  /** Every line up to this one is appended, rejected or blank. */
  doneThroughLine: number;
  rejects: Reject[];
  /** The batch being appended, until the journal acknowledges it. */
  inFlight: InFlight | null;
}

/** An `appendBatch` in progress: if it fails, recovery decides how much of it stays. */
export interface InFlight {
  /** Where its first record goes. */
  start: number;
  payloads: Uint8Array[];
  /** Input line of each payload. */
  lines: number[];
  /** Last line read when the batch was sent (lines up to it are done once it is in). */
  throughLine: number;
}

/** Print the first rejects on stderr. */
export function echoRejects(rejects: Reject[]): void {
  for (const r of rejects.slice(0, MAX_ECHOED_REJECTS)) printErr(`line ${r.line}: ${r.reason}`);
  if (rejects.length > MAX_ECHOED_REJECTS) {
    printErr(`… and ${rejects.length - MAX_ECHOED_REJECTS} more invalid line(s)`);
  }
}

/** The figures of a run, as `--json` prints them. */
function summary(totals: Totals, elapsedMs: number) {
  return {
    appended: totals.records,
    skipped: totals.skipped,
    rejected: totals.rejects.length,
    rejects: totals.rejects.map(({ line, reason, field }) => ({ line, reason, field })),
    payloadBytes: totals.payloadBytes,
    inputBytes: totals.inputBytes,
    firstOffset: totals.firstOffset,
    lastOffset: totals.lastOffset,
    nextOffset: totals.nextOffset,
    elapsedMs: Math.round(elapsedMs),
    recordsPerSecond: Math.round(rate(totals.records, elapsedMs)),
  };
}

/** Print the run's figures (on success, or always with `--json`); returns `code`. */
export function finish(input: CommandInput, totals: Totals, started: number, code: number): number {
  const elapsedMs = performance.now() - started;
  const doc = { ok: code === EXIT_OK, ...summary(totals, elapsedMs) };
  if (code === EXIT_OK || input.json) {
    emit(input.json, doc, () =>
      table([
        ["appended", `${totals.records} records (${formatBytes(totals.payloadBytes)} of payload)`],
        ...(input.values.dedupe === true
          ? [["skipped", `${totals.skipped} already stored`] as [string, unknown]]
          : []),
        ["rejected", totals.rejects.length],
        ["input", formatBytes(totals.inputBytes)],
        ["offsets", `${totals.firstOffset ?? "-"} .. ${totals.nextOffset ?? "-"}`],
        ["elapsed", `${(elapsedMs / 1000).toFixed(2)} s`],
        ["rate", formatRate(totals.records, elapsedMs)],
      ]));
  }
  return code;
}

/** A run that stopped part-way: what is durable, and how to append the rest. */
export function reportStopped(
  input: CommandInput,
  totals: Totals,
  started: number,
  why: { cause: unknown; uncertain: string | null },
): number {
  const { cause, uncertain } = why;
  const message = cause instanceof Error ? cause.message : String(cause);
  const resumeFromLine = totals.doneThroughLine + 1;
  const appended = totals.records === 0
    ? "Appended nothing"
    : `Appended ${totals.records} record(s), durable: offsets ${totals.firstOffset} .. ${totals.nextOffset} (last record at ${totals.lastOffset})`;
  const file = input.positionals[0] ?? "-";
  printErr(`stemedb append: ${message}`);
  printErr(`${appended}; input lines up to ${totals.doneThroughLine} are done.`);
  if (uncertain !== null) printErr(`${uncertain}; check with "stemedb status" before resuming`);
  printErr(
    `To append the rest without duplicates: stemedb append ${file} --from-line ${resumeFromLine}` +
      " (with the same options)",
  );
  if (input.json) {
    const elapsedMs = performance.now() - started;
    emit(true, {
      ok: false,
      error: { code: "failure", message },
      ...summary(totals, elapsedMs),
      doneThroughLine: totals.doneThroughLine,
      resumeFromLine,
      ...(uncertain === null ? {} : { uncertain }),
    }, () => "");
  }
  return EXIT_FAILURE;
}
