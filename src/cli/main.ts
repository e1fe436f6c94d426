/**
 * The stemedb command line: `deno run -A src/cli/main.ts <command> …`, also
 * available as `deno task <command>`.
 *
 * @module
 */

import { type Command, helpText, parseCommand } from "./_command.ts";
import { EXIT_OK, EXIT_USAGE, printErr, printOut, reportError } from "./_output.ts";
import { appendCommand } from "./append.ts";
import { demoCommand } from "./demo.ts";
import { ingestCommand } from "./ingest.ts";
import { migrateCommand } from "./migrate.ts";
import { queryCommand } from "./query.ts";
import { serveCommand, startCommand } from "./serve.ts";
import { statusCommand } from "./status.ts";
import { verifyCommand } from "./verify.ts";

/** Every command, in the order the overview lists them. */
export const COMMANDS: readonly Command[] = [
  startCommand,
  appendCommand,
  ingestCommand,
  statusCommand,
  queryCommand,
  verifyCommand,
  migrateCommand,
  serveCommand,
  demoCommand,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "Usage: stemedb <command> [options]",
    "",
    "stemedb ingest: a durable write-ahead log of knowledge records (assertions, votes,",
    "epochs) applied to Deno KV exactly once.",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    'Run "stemedb <command> --help" for a command\'s options. Every command takes --json,',
    "--data <dir> (env STEMEDB_DATA, default ./data) and --kv <path|url> (env STEMEDB_KV).",
  ].join("\n");
}

/** Run the command line with `args`; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    printErr(overview());
    return EXIT_USAGE;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    printOut(overview());
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    printErr(`stemedb: Unknown command "${name}"`);
    printErr('Run "stemedb --help" for the list of commands');
    return EXIT_USAGE;
  }
  const json = rest.includes("--json");
  try {
    const input = parseCommand(command, rest);
    if (input === null) {
      printOut(helpText(command));
      return EXIT_OK;
    }
    return await command.run(input);
  } catch (error) {
    return reportError(command.name, error, json);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
