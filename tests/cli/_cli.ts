/** Test helper: run the real command line in a child process. */

import { contentHash, parseRecordJson, serializeRecord } from "../../src/records/mod.ts";

export const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Text fed to stdin. */
  stdin?: string;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Run through `deno task <command>` instead of `deno run -A src/cli/main.ts`. */
  task?: boolean;
}

/** Run `stemedb <args>`; the environment's STEMEDB_* variables are cleared first. */
export async function stemedb(args: string[], options: RunOptions = {}): Promise<Run> {
  const [command, ...rest] = args;
  const argv = options.task
    ? ["task", "--quiet", command, ...rest]
    : ["run", "-A", MAIN, command, ...rest];
  const child = new Deno.Command(Deno.execPath(), {
    args: argv,
    cwd: ROOT,
    env: { NO_COLOR: "1", STEMEDB_DATA: "", STEMEDB_KV: "", STEMEDB_TOKEN: "", ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Parse stdout as exactly one JSON document. */
// deno-lint-ignore no-explicit-any
export function json(run: Run): any {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(`Expected one JSON document on stdout, got:\n${run.stdout}\n${run.stderr}`);
  }
}

export const TS = 1_700_000_000_000;

export function assertionJson(subject: string, predicate: string, object: unknown) {
  return {
    type: "assertion",
    subject,
    predicate,
    object,
    source: "test",
    confidence: 0.9,
    timestamp: TS,
  };
}

/** The content hash a JSON record will have once appended. */
export async function hashOf(record: Record<string, unknown>): Promise<string> {
  return await contentHash(serializeRecord(parseRecordJson(record)));
}

export function ndjson(records: unknown[]): string {
  return records.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n") + "\n";
}

/** A fresh data directory, removed by the returned disposer. */
export async function tempData(): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "stemedb_cli_" });
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}
