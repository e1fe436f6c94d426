/**
 * Output conventions of every command: human text by default, exactly one JSON
 * document on stdout with `--json`; errors on stderr, each with what to do
 * next, and exit code 2 for usage mistakes, 1 for failures.
 *
 * @module
 */

import { ConfigError } from "../config/env.ts";
import { UnstableApiError } from "../store/mod.ts";
import { CorruptJournalError, JournalLockedError, JournalNotFoundError } from "../wal/mod.ts";

/** A mistake in how the command was called (exit code 2). */
export class UsageError extends Error {
  /** Construct a usage error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Exit code for success. */
export const EXIT_OK = 0;
/** Exit code for a failure (bad data, unsound log, I/O). */
export const EXIT_FAILURE = 1;
/** Exit code for a usage mistake. */
export const EXIT_USAGE = 2;

const encoder = new TextEncoder();

/** Write text to stdout, adding a newline. */
export function printOut(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n"));
}

/** Write text to stderr, adding a newline. */
export function printErr(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n"));
}

/**
 * Print a command's result: `doc` as one JSON document when `json`, else the
 * human rendering.
 */
export function emit(json: boolean, doc: unknown, human: () => string): void {
  printOut(json ? JSON.stringify(doc, null, 2) : human());
}

/**
 * Report an error: message and what to do next on stderr, and an error
 * document on stdout with `--json`.
 */
export function reportError(command: string, error: unknown, json: boolean): number {
  // A bad environment variable is a mistake in how the command was called, as a bad option is.
  const usage = error instanceof UsageError || error instanceof ConfigError;
  const message = error instanceof Error ? error.message : String(error);
  const hint = usage ? `Run "stemedb ${command} --help" for usage` : nextStep(error, command);
  printErr(`stemedb ${command}: ${message}`);
  // Some messages carry their own fix (for library users, who see only the message).
  if (hint !== undefined && !message.includes(hint)) printErr(hint);
  if (json) {
    const code = usage ? "usage" : "failure";
    printOut(JSON.stringify({ error: { code, message, ...(hint ? { hint } : {}) } }));
  }
  return usage ? EXIT_USAGE : EXIT_FAILURE;
}

/** The way out of damage to the journal, for the hints of the commands that meet it. */
export const REPAIR_STEP = 'stop the writer, then "stemedb repair --recovery ' +
  'point-in-time|skip-corrupt" mends it (cut at the first damage, or fill it keeping every ' +
  'other record\'s offset; "stemedb repair --help" says more)';

/** What to do about a failure of `command`, read from the failure's kind. */
function nextStep(error: unknown, command: string): string | undefined {
  if (error instanceof JournalLockedError) {
    const holder = error.holderPid === null ? "the process" : `process ${error.holderPid}`;
    if (command === "repair") {
      // repair rewrites segment files: there is no working alongside the writer
      return `Another writer has this journal open: stop ${holder} (or wait for it to finish), ` +
        'then run "stemedb repair" again. Readers (status, ingest, verify) work alongside it';
    }
    return `Another writer has this journal open: stop ${holder} (or wait for it to finish), ` +
      'or, while "stemedb serve" runs, append over HTTP (POST /assertions, /votes, /epochs). ' +
      "Readers (status, ingest, verify) work alongside it";
  }
  if (error instanceof UnstableApiError) return error.hint;
  if (error instanceof JournalNotFoundError) {
    return 'Append records first ("stemedb append <file>"), or name the data directory with --data';
  }
  if (error instanceof CorruptJournalError) {
    return `The journal is damaged there: "stemedb verify" lists every problem; ${REPAIR_STEP}`;
  }
  return undefined;
}

/** Format a byte count for people: `1.5 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Format a rate for people: `12,345/s`. */
export function formatRate(count: number, elapsedMs: number): string {
  return `${formatCount(Math.round(rate(count, elapsedMs)))}/s`;
}

/**
 * An integer with comma thousands separators, as `toLocaleString("en-US")`
 * writes it, without loading the locale data: that first call costs 15 ms,
 * about as much as `append` spends on 2,000 lines.
 */
export function formatCount(n: number): string {
  const digits = String(Math.abs(Math.round(n)));
  let out = digits.slice(0, (digits.length - 1) % 3 + 1);
  for (let i = out.length; i < digits.length; i += 3) out += "," + digits.slice(i, i + 3);
  return n < 0 && out !== "0" ? "-" + out : out;
}

/** Items per second; 0 when no time passed. */
export function rate(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : 0;
}

/** Render rows as aligned `key  value` lines. */
export function table(rows: [string, unknown][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}
