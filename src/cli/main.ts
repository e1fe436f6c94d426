/**
 * The stemedb command line. Installed as a command with
 * `deno install -g -A --unstable-kv --unstable-cron -n stemedb jsr:@stemedb/ingest/cli`
 * (or, in a clone, `deno install -g -A --config deno.json -n stemedb src/cli/main.ts`),
 * it runs as `stemedb <command> …`; in a clone every command is also a
 * `deno task <command>` with the same options.
 *
 * @example Run a command in this process
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@stemedb/ingest/cli";
 *
 * const data = await Deno.makeTempDir();
 * assert.equal(await main(["status", "--data", data, "--json"]), 1); // no journal yet
 * await Deno.remove(data, { recursive: true });
 * ```
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
import { repairCommand } from "./repair.ts";
import { serveCommand, startCommand } from "./serve.ts";
import { statusCommand } from "./status.ts";
import { verifyCommand } from "./verify.ts";

/** Every command, in the order the overview lists them. */
const COMMANDS: readonly Command[] = [
  startCommand,
  appendCommand,
  ingestCommand,
  statusCommand,
  queryCommand,
  verifyCommand,
  repairCommand,
  migrateCommand,
  serveCommand,
  demoCommand,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "Usage: stemedb <command> [options]    (stemedb help <command> for its options)",
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

/**
 * Run the command line with `args` (what follows `stemedb`); resolves to the
 * exit code: 0 success, 1 failure, 2 usage mistake. Output goes to this
 * process's stdout and stderr.
 *
 * @example Ask for the list of commands
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@stemedb/ingest/cli";
 *
 * assert.equal(await main(["--help"]), 0);
 * assert.equal(await main(["no-such-command"]), 2);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let [name, ...rest] = args;
  if (name === undefined) {
    printErr(overview());
    return EXIT_USAGE;
  }
  if (name === "help" && rest.length > 0) [name, rest] = [rest[0], ["--help", ...rest.slice(1)]];
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
    const input = await parseCommand(command, rest);
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
