/**
 * Progress of a long command: one bar per phase (validate, append, ingest,
 * verify, …) with its rate and time left, on stderr, drawn only when stderr is
 * a terminal and `--json` was not given, so pipes, logs and scripts stay clean.
 *
 * Written here rather than taken from npm: `cli-progress` (the usual choice,
 * used here before) renders through Node's `process.stderr`, computes its rate
 * and ETA inside the bar where they cannot be tested on their own, and still
 * leaves the terminal check, the throttling and the quiet mode to the caller;
 * what is left is one pure rendering function and a throttled `\r` redraw.
 *
 * @module
 */

import { progressMsEnv } from "../config/env.ts";
import { formatBytes, formatCount } from "./_output.ts";

/** What a phase counts. */
export type ProgressUnit = "bytes" | "records";

/** A phase's state, as {@linkcode renderPhase} draws it. */
export interface PhaseState {
  /** Name of the phase: `append`. */
  label: string;
  /** Units done so far. */
  done: number;
  /**
   * Units already done when the phase started (what a resumed run finds
   * done): they count towards the bar, not towards the rate.
   *
   * @default {0}
   */
  startedAt?: number;
  /** Units in all, when known; without it there is no bar, percentage or ETA. */
  total?: number;
  /** What `done` and `total` count. */
  unit: ProgressUnit;
  /** Time since the phase started. */
  elapsedMs: number;
  /** Extra text after the figures (`12,000 records`). */
  detail?: string;
  /** Whether the phase is over (prints the elapsed time instead of an ETA). */
  finished?: boolean;
}

/** Width of the bar itself, in characters. */
const BAR_WIDTH = 16;
/** Redraw at most this often, unless `STEMEDB_PROGRESS_MS` says otherwise. */
export const REDRAW_MS = 100;
/** Phases quicker than this many redraw intervals never draw, so short inputs print nothing. */
const FIRST_DRAW_INTERVALS = 3;

/** `3s`, `2m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

function amount(unit: ProgressUnit, n: number): string {
  const whole = Math.round(n);
  return unit === "bytes" ? formatBytes(whole) : formatCount(whole);
}

/**
 * Render one line of a phase: `append  [######----------]   42%  ETA 4s
 * 12.0 MiB of 28.6 MiB  4.0 MiB/s`, fitted to `columns`. The rate is the phase's mean so
 * far over what this run did (`startedAt` left out); the ETA is what is left at that rate
 * (`ETA --` until something is done).
 */
export function renderPhase(state: PhaseState, columns = Infinity): string {
  const { label, unit, elapsedMs } = state;
  const done = state.total === undefined ? state.done : Math.min(state.done, state.total);
  const doneHere = Math.max(0, done - (state.startedAt ?? 0));
  const perSecond = elapsedMs > 0 ? (doneHere * 1000) / elapsedMs : 0;
  const rate = `${amount(unit, perSecond)}${unit === "records" ? " rec" : ""}/s`;
  const fields: string[] = [label];
  if (state.total !== undefined) {
    const fraction = state.total > 0 ? done / state.total : 1;
    const filled = Math.round(fraction * BAR_WIDTH);
    fields.push(`[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`);
    fields.push(`${Math.floor(fraction * 100)}%`.padStart(4));
  }
  // The time (left, or taken) comes before the figures: it is what a narrow terminal keeps.
  if (state.finished) fields.push(`in ${formatDuration(elapsedMs)}`);
  else if (state.total !== undefined) {
    const left = state.total - done;
    fields.push(perSecond > 0 ? `ETA ${formatDuration((left / perSecond) * 1000)}` : "ETA --");
  }
  // Records are named once, by the rate (`rec/s`), so the line fits 80 columns.
  fields.push(
    state.total === undefined
      ? amount(unit, done)
      : `${amount(unit, done)} of ${amount(unit, state.total)}`,
  );
  fields.push(rate);
  const line = fields.join("  ");
  // The detail is the first to go on a narrow terminal, then the end of the line.
  const full = state.detail ? `${line}  ${state.detail}` : line;
  return full.length < columns ? full : line.slice(0, Math.max(0, columns - 1));
}

/** A running phase. */
export interface Phase {
  /**
   * Report progress; `total` may be revised (an estimate that improves);
   * `startedAt` is what the phase found done when it started (a resumed run).
   */
  update(done: number, options?: { total?: number; detail?: string; startedAt?: number }): void;
  /** End the phase: its last line stays, as it stands, with the time it took. */
  finish(): void;
}

/** Options of {@linkcode startPhase}. */
export interface PhaseOptions {
  /** Name of the phase. */
  label: string;
  /** What it counts. */
  unit: ProgressUnit;
  /** Units in all, when known. */
  total?: number;
  /** Whether to draw at all: {@linkcode progressWanted}. */
  enabled: boolean;
}

/** Whether progress should be drawn: stderr is a terminal and the output is not `--json`. */
export function progressWanted(json: boolean): boolean {
  return !json && Deno.stderr.isTerminal();
}

/** The redraw interval: `STEMEDB_PROGRESS_MS`, else {@linkcode REDRAW_MS}. */
export function redrawMs(): number {
  return progressMsEnv() ?? REDRAW_MS;
}

const quiet: Phase = { update() {}, finish() {} };
const encoder = new TextEncoder();

/** Start a phase; a no-op unless `options.enabled`. */
export function startPhase(options: PhaseOptions): Phase {
  if (!options.enabled) return quiet;
  const interval = redrawMs();
  const firstDraw = interval * FIRST_DRAW_INTERVALS;
  const started = performance.now();
  const state: PhaseState = {
    label: options.label,
    unit: options.unit,
    total: options.total,
    done: 0,
    elapsedMs: 0,
  };
  let drawn = false;
  let lastDraw = 0;
  const draw = (now: number) => {
    lastDraw = now;
    drawn = true;
    state.elapsedMs = now - started;
    const line = renderPhase(state, terminalColumns());
    Deno.stderr.writeSync(encoder.encode(`\r${line}\x1b[K`));
  };
  return {
    update(done, extra) {
      state.done = done;
      if (extra?.total !== undefined) state.total = extra.total;
      if (extra?.detail !== undefined) state.detail = extra.detail;
      if (extra?.startedAt !== undefined) state.startedAt = extra.startedAt;
      const now = performance.now();
      if (now - started >= firstDraw && now - lastDraw >= interval) draw(now);
    },
    finish() {
      if (!drawn) return;
      state.finished = true;
      draw(performance.now());
      Deno.stderr.writeSync(encoder.encode("\n"));
    },
  };
}

/** The terminal's width; 80 when it cannot tell (a pseudo-terminal of size 0 says 0). */
function terminalColumns(): number {
  try {
    const { columns } = Deno.consoleSize();
    return columns >= 40 ? columns : 80;
  } catch {
    return 80;
  }
}
