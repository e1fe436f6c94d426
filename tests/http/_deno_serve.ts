/** Test helper: the real `deno serve` (optionally `--parallel`) over src/http/mod.ts, in a child process. */

import { exitWithin } from "../cli/_cli.ts";

const MOD = new URL("../../src/http/mod.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

export interface DenoServe {
  url: string;
  child: Deno.ChildProcess;
  /** stderr so far. */
  stderr(): string;
  /** Send `signal` and wait for the exit. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

export interface DenoServeOptions {
  /** Workers (`--parallel` with `DENO_JOBS`); 1 runs without `--parallel`. */
  workers?: number;
  env?: Record<string, string>;
  /** Permission flags. @default ["-A"] */
  permissions?: string[];
}

export async function denoServe(options: DenoServeOptions = {}): Promise<DenoServe> {
  const workers = options.workers ?? 1;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      ...(workers > 1 ? ["--parallel"] : []),
      "--config",
      CONFIG,
      ...(options.permissions ?? ["-A"]),
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      MOD,
    ],
    env: {
      DENO_JOBS: String(workers),
      NO_COLOR: "1",
      STEMEDB_DATA: "",
      STEMEDB_KV: "",
      STEMEDB_TOKEN: "",
      STEMEDB_READ_ONLY: "",
      ...options.env,
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const pump = (async () => {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      text += value;
    }
  })();
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (url === undefined) {
    url = /Listening on (http:\/\/[^\s/]+)/.exec(text)?.[1];
    if (url !== undefined) break;
    const exited = await Promise.race([
      child.status.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 50)),
    ]);
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill("SIGKILL");
      await child.status;
      await pump;
      throw new Error(`deno serve did not start:\n${text}`);
    }
  }
  return {
    url,
    child,
    stderr: () => text,
    async stop(signal = "SIGTERM") {
      child.kill(signal);
      const status = await exitWithin(child, 20_000);
      await pump;
      return status;
    },
  };
}

/**
 * Wait until `workers` different workers have answered `GET /health` (each
 * names its own journal shard), each asked over a fresh connection: the kernel
 * spreads new connections over the workers listening, so once every one has
 * answered, every one listens. A loaded machine starts the last one seconds
 * after the first.
 */
export async function everyWorkerAnswers(url: string, workers: number): Promise<void> {
  const seen = new Set<string>();
  const deadline = Date.now() + 30_000;
  while (seen.size < workers) {
    if (Date.now() > deadline) {
      throw new Error(`Only ${seen.size} of ${workers} workers answered within 30 s`);
    }
    using client = Deno.createHttpClient({});
    const health = await (await fetch(`${url}/health`, { client })).json();
    if (typeof health.journal === "string") seen.add(health.journal);
    else await new Promise((r) => setTimeout(r, 20));
  }
}
