/**
 * Test helper: run the real command line on a pseudo-terminal, through
 * util-linux's `script` (package bsdutils, Essential on Debian), so that
 * `Deno.stderr.isTerminal()` is true in the child as it is for a user.
 */

import { ROOT } from "./_cli.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const SCRIPT = "/usr/bin/script";

/** What a run on a terminal printed: stdout and stderr as the terminal showed them. */
export interface TerminalRun {
  code: number;
  output: string;
}

/** Fails (never skips) when `script` is missing: the progress tests would assert nothing. */
function requireScript(): void {
  try {
    Deno.statSync(SCRIPT);
  } catch {
    throw new Error(
      `Cannot run commands on a pseudo-terminal: "${SCRIPT}" is missing ` +
        "(install util-linux's script: apt-get install bsdutils)",
    );
  }
}

/**
 * Run `stemedb <args>` with stdin, stdout and stderr on a pseudo-terminal.
 * Progress redraws on every update (`STEMEDB_PROGRESS_MS=0`) unless `env`
 * says otherwise, so small inputs show their bars.
 */
export async function onTerminal(
  args: string[],
  env: Record<string, string> = {},
): Promise<TerminalRun> {
  requireScript();
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const command = [Deno.execPath(), "run", "-A", MAIN, ...args].map(quote).join(" ");
  const out = await new Deno.Command(SCRIPT, {
    // -q quiet, -f flush as written, -e the child's exit code, -c the command.
    args: ["-qfec", command, "/dev/null"],
    cwd: ROOT,
    env: {
      NO_COLOR: "1",
      STEMEDB_DATA: "",
      STEMEDB_KV: "",
      STEMEDB_TOKEN: "",
      STEMEDB_PROGRESS_MS: "0",
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, output: new TextDecoder().decode(out.stdout) };
}

/** The last drawing of each line: the text after its last `\r`, without erase codes. */
export function finalLines(output: string): string[] {
  return output.split("\n").map((line) => line.split("\r").filter((p) => p.trim() !== "").at(-1))
    .filter((line): line is string => line !== undefined).map((l) => l.replaceAll("\x1b[K", ""));
}

/** Whether `output` holds a redraw (a `\r` not ending a line): a progress bar was drawn. */
export function drewProgress(output: string): boolean {
  // The terminal ends lines with \r\n; a bar redraws with a lone \r.
  return /\r(?!\n)/.test(output);
}

/**
 * A drawing of phase `label` while it ran: its bar, percentage, time left,
 * figures and rate (`verify  [####----]   25%  ETA 1s  1.0 KiB of 4.0 KiB  2.0 KiB/s`).
 */
export function runningBar(label: string): RegExp {
  return new RegExp(
    `\\r${label} {2}\\[[#-]{16}\\] +\\d+% {2}ETA \\d+[smh]\\S* {2}[\\d.,]+( [KMG]?i?B)? of [\\d.,]+( [KMG]?i?B)? {2}[\\d.,]+ (rec|[KMG]?i?B)/s`,
  );
}

/** The last line of finished phase `label`: full bar, the time it took, figures and rate. */
export function finishedBar(label: string): RegExp {
  return new RegExp(
    `^${label} {2}\\[#{16}\\] {2}100% {2}in \\d+[smh]\\S* {2}[\\d.,]+( [KMG]?i?B)? of [\\d.,]+( [KMG]?i?B)? {2}[\\d.,]+ (rec|[KMG]?i?B)/s`,
  );
}
