/**
 * The shape of one command and its argument parsing: `node:util` parseArgs in
 * strict mode, the common flags (`--help`, `--json`, `--data`, `--kv`) added to
 * every command, and help text generated from the same option table.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type DataConfig, resolveConfig } from "../config/data_dir.ts";
import { dataEnv, ENV } from "../config/env.ts";
import { UsageError } from "./_output.ts";
import { checkKvLocation } from "./_kv_location.ts";

/** One option of a command. */
export interface OptionSpec {
  /** `"string"` takes a value; `"boolean"` is a switch. */
  type: "string" | "boolean";
  /** One-letter alias. */
  short?: string;
  /** Name of the value in help (`--limit <n>`). */
  value?: string;
  /** One line of help. */
  description: string;
}

/** What a command receives after parsing. */
export interface CommandInput {
  /** Option values by long name. */
  values: Record<string, string | boolean | undefined>;
  /** Positional arguments. */
  positionals: string[];
  /** Whether `--json` was given. */
  json: boolean;
  /** Data locations from `--data`, `--kv`, environment and defaults. */
  config: DataConfig;
}

/** One command of the command line. */
export interface Command {
  /** Name as typed: `append`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Usage line(s) after `stemedb `: `append [file]`. */
  usage: string;
  /** Longer description shown by `--help`. */
  description: string;
  /** Command-specific options. */
  options: Record<string, OptionSpec>;
  /** Smallest and largest number of positional arguments. */
  positionals: [number, number];
  /** Default data directory when neither `--data` nor `STEMEDB_DATA` is set. */
  defaultDataDir?: string;
  /** Run; resolves to the exit code. */
  run(input: CommandInput): Promise<number>;
}

/** Options every command accepts. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: "boolean", short: "h", description: "Show this help and exit" },
  json: { type: "boolean", description: "Print exactly one JSON document on stdout" },
  data: {
    type: "string",
    value: "dir",
    description: "Data directory (env STEMEDB_DATA; default ./data)",
  },
  kv: {
    type: "string",
    value: "path|url",
    description: "Deno KV path or URL (env STEMEDB_KV; default <data>/kv.sqlite)",
  },
};

/**
 * Parse `args` for `command` and check where its data lives; `null` means
 * `--help` was asked for.
 */
export async function parseCommand(
  command: Command,
  args: string[],
): Promise<CommandInput | null> {
  const specs = { ...COMMON_OPTIONS, ...command.options };
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return null;
  const [min, max] = command.positionals;
  const count = parsed.positionals.length;
  if (count < min || count > max) {
    const extra = count > max
      ? `unexpected argument "${parsed.positionals[max]}"`
      : "missing argument";
    const lines = command.usage.split("\n");
    const usage = lines.length === 1
      ? ` (usage: stemedb ${command.usage})`
      : `; usage:\n${lines.map((line) => `  stemedb ${line}`).join("\n")}`;
    throw new UsageError(`Cannot run "${command.name}": ${extra}${usage}`);
  }
  const config = resolveConfig(
    {
      data: values.data as string | undefined,
      kv: values.kv as string | undefined,
      kvTimeoutMs: msOption(values, "kv-timeout"),
    },
    Deno.env,
    command.defaultDataDir,
  );
  const kvOrigin = values.kv
    ? 'option "--kv"'
    : dataEnv(Deno.env).kv !== undefined
    ? `environment variable ${ENV.kv}`
    : "the default KV path";
  await checkKvLocation(config.kv, kvOrigin);
  return { values, positionals: parsed.positionals, json: values.json === true, config };
}

/** A milliseconds option (integer >= 1), `undefined` when absent. */
function msOption(
  values: Record<string, string | boolean | undefined>,
  name: string,
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const ms = Number(raw);
  if (typeof raw !== "string" || !Number.isSafeInteger(ms) || ms < 1) {
    throw new UsageError(`Invalid value for option "--${name}": expected milliseconds >= 1`);
  }
  return ms;
}

function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const option = /'(-[^']*)'/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) return `Unknown option "${option}"`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    const flag = option.split(" ")[0];
    return /argument missing/.test(message)
      ? `Option "${flag}" needs a value`
      : `Invalid value for option "${flag}": ${message.split(/\.\s|:\s/)[0]}`;
  }
  return message.split(". ")[0];
}

/** Render `--help` for a command. */
export function helpText(command: Command): string {
  const specs = { ...command.options, ...COMMON_OPTIONS };
  const lines = Object.entries(specs).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : "    ";
    const value = spec.type === "string" ? ` <${spec.value ?? "value"}>` : "";
    return [`${short}--${name}${value}`, spec.description] as const;
  });
  const width = Math.max(...lines.map(([flag]) => flag.length));
  return [
    `Usage: stemedb ${command.usage.split("\n").join("\n       stemedb ")}`,
    "",
    command.description,
    "",
    "Options:",
    ...lines.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
  ].join("\n");
}

/** Read a positive integer option; `fallback` when absent. */
export function intOption(
  input: CommandInput,
  name: string,
  fallback: number,
  min = 1,
): number {
  const raw = input.values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== "string" || !Number.isInteger(value) || value < min) {
    throw new UsageError(`Invalid value for option "--${name}": expected an integer >= ${min}`);
  }
  return value;
}

/** Read a string option. */
export function stringOption(input: CommandInput, name: string): string | undefined {
  const raw = input.values[name];
  return typeof raw === "string" ? raw : undefined;
}
