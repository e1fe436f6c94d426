/**
 * A progress bar on stderr for long inputs (npm `cli-progress`), shown only
 * when stderr is a terminal so pipes and logs stay clean.
 *
 * @module
 */

import cliProgress from "cli-progress";
import process from "node:process";
import { formatBytes, rate } from "./_output.ts";

/** Inputs at least this long get a bar. */
export const PROGRESS_MIN_BYTES = 1024 * 1024;

/** A started progress display. */
export interface Progress {
  /** Report bytes read and records handled so far. */
  update(bytes: number, records: number): void;
  /** Remove the bar. */
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

/**
 * Start a bar for an input of `totalBytes`, or a no-op when stderr is not a
 * terminal or the input is short.
 */
export function startProgress(label: string, totalBytes: number): Progress {
  if (!Deno.stderr.isTerminal() || totalBytes < PROGRESS_MIN_BYTES) return silent;
  const started = performance.now();
  const bar = new cliProgress.SingleBar({
    format: `${label} |{bar}| {percentage}% | {done} of {size} | {records} records | {rps} rec/s`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  bar.start(totalBytes, 0, { done: "0 B", size: formatBytes(totalBytes), records: 0, rps: 0 });
  return {
    update(bytes, records) {
      bar.update(Math.min(bytes, totalBytes), {
        done: formatBytes(bytes),
        records,
        rps: Math.round(rate(records, performance.now() - started)),
      });
    },
    stop() {
      bar.stop();
    },
  };
}
