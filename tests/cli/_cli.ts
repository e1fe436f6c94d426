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
  const argv = options.task ? ["task", "--quiet", command, ...rest] : ["run", "-A", MAIN, ...args];
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

/** A long-running `stemedb` child process. */
export interface Running {
  child: Deno.ChildProcess;
  /** Text of stdout so far (filled while `waitFor` or `finish` reads). */
  stdout(): string;
  /** Read stdout until `test` accepts the text so far. */
  waitFor(test: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Send `signal`, wait for exit, drain the pipes. */
  finish(signal?: Deno.Signal): Promise<Run>;
}

/** Spawn `stemedb <args>` (via `deno run -A src/cli/main.ts`) without waiting for it. */
export function spawnStemedb(args: string[], env: Record<string, string> = {}): Running {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", STEMEDB_DATA: "", STEMEDB_KV: "", STEMEDB_TOKEN: "", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderrText = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let ended = false;
  const readMore = async () => {
    const { done, value } = await reader.read();
    if (done) ended = true;
    else text += value;
  };
  return {
    child,
    stdout: () => text,
    async waitFor(test, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!test(text)) {
        if (ended) throw new Error(`Process ended before expected output:\n${text}`);
        if (Date.now() > deadline) throw new Error(`Timed out waiting for output:\n${text}`);
        await readMore();
      }
      return text;
    },
    async finish(signal) {
      if (signal) child.kill(signal);
      const status = await exitWithin(child, 15_000);
      while (!ended) await readMore();
      return { code: status.code, stdout: text, stderr: await stderrText };
    },
  };
}

/** Wait for `child` to exit; SIGKILL it and fail if it takes longer than `ms`. */
export async function exitWithin(
  child: Deno.ChildProcess,
  ms: number,
): Promise<Deno.CommandStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  const status = await Promise.race([child.status, late]);
  clearTimeout(timer);
  if (status !== null) return status;
  child.kill("SIGKILL");
  await child.status;
  throw new Error(`Process ${child.pid} did not exit within ${ms} ms of being asked to stop`);
}

/** Poll `stemedb status --json` until the ingest lag is zero. */
export async function waitCaughtUp(dataDir: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const run = await stemedb(["status", "--data", dataDir, "--json"]);
    if (run.code === 0 && json(run).ingest.lagBytes === 0 && json(run).ingest.cursor !== null) {
      return;
    }
    if (Date.now() > deadline) throw new Error(`Ingest did not catch up:\n${run.stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether `text` holds one complete JSON document. */
export function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
