/**
 * `serve --workers N`: the service on N cores, as `deno serve --parallel`
 * runs it (`DENO_JOBS=N`) over the `deno serve` entry, `src/http/mod.ts`. One
 * mechanism for every multi-core shape: each worker claims a journal shard of
 * its own and all share the KV. The settings travel as the environment
 * variables the entry reads; SIGINT/SIGTERM are passed on, and the command
 * exits as `deno serve` does.
 *
 * @module
 */

import type { DataConfig } from "../config/data_dir.ts";
import { serviceEnvVars } from "../config/service_env.ts";
import type { CommandInput } from "./_command.ts";
import { EXIT_DEADLINE_LINE } from "../telemetry/_exit_deadline.ts";
import { emit, EXIT_OK, printErr } from "./_output.ts";
import { banner, type ServeSettings, startReport, urlOf } from "./_serve_report.ts";
import { onStopSignal } from "./_signals.ts";

const ENTRY = new URL("../http/mod.ts", import.meta.url);
const CONFIG = new URL("../../deno.json", import.meta.url);

/** How `deno serve --parallel` is started: its arguments and environment. */
export interface WorkerLaunch {
  /** Arguments of `deno` (`serve --parallel ...`). */
  args: string[];
  /** Environment added to this process's: `DENO_JOBS` and every service setting. */
  env: Record<string, string>;
}

/**
 * The one place `serve` settings become the workers' launch: the listener as
 * `deno serve` flags, `DENO_JOBS` for the workers, and every other setting
 * as the environment variables the entry reads (`serviceEnvVars()`).
 */
export function workerLaunch(settings: ServeSettings, config: DataConfig): WorkerLaunch {
  // --allow-run (and --allow-ffi when this process has it): the entry's exit deadline ends a
  // process stuck in the telemetry flush (see telemetry/_exit_deadline.ts).
  const permissions = ["--allow-read", "--allow-env", "--allow-net", "--allow-run"];
  if (Deno.permissions.querySync({ name: "ffi" }).state === "granted") {
    permissions.push("--allow-ffi");
  }
  if (!settings.readOnly) permissions.push("--allow-write");
  const configFlag = ENTRY.protocol === "file:" ? ["--config", CONFIG.pathname] : [];
  return {
    args: [
      "serve",
      "--parallel",
      ...configFlag,
      ...permissions,
      "--unstable-kv",
      "--port",
      String(settings.port),
      "--host",
      settings.hostname,
      ENTRY.href,
    ],
    env: {
      DENO_JOBS: String(settings.workers),
      NO_COLOR: "1",
      ...serviceEnvVars({
        ...settings,
        data: config.dataDir,
        kv: config.kv,
        kvTimeoutMs: config.kvTimeoutMs,
      }),
    },
  };
}

/** Run `deno serve --parallel` with `settings.workers` workers until it exits; resolves to its exit code. */
export async function serveWorkers(
  input: CommandInput,
  settings: ServeSettings & { access: string },
  explain: boolean,
): Promise<number> {
  const { args, env } = workerLaunch(settings, input.config);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env,
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  const stop = onStopSignal();
  stop.signal.addEventListener("abort", () => child.kill("SIGTERM"), { once: true });
  try {
    let deadlinePassed = false;
    await relayStderr(
      child.stderr,
      (line) => deadlinePassed ||= line === EXIT_DEADLINE_LINE,
      (addr) => {
        const url = urlOf(addr);
        emit(
          input.json,
          startReport(addr, input, settings, null),
          () => banner(url, input, { ...settings, journal: null }, explain),
        );
      },
    );
    const status = await child.status;
    // The entry stopped cleanly and ended itself past the exporter's flush: a clean stop.
    if (status.signal === "SIGKILL" && deadlinePassed) return EXIT_OK;
    return status.code;
  } finally {
    stop.dispose();
  }
}

/** Pass the child's stderr on, calling `onListen` once it says where it listens. */
async function relayStderr(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
  onListen: (addr: Deno.NetAddr) => void,
): Promise<void> {
  let listening = false;
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const match = /Listening on https?:\/\/(\[[^\]]+\]|[^:/]+):(\d+)/.exec(line);
      if (!listening && match !== null) {
        listening = true;
        const hostname = match[1].replace(/^\[|\]$/g, "");
        onListen({ transport: "tcp", hostname, port: Number(match[2]) });
      } else {
        onLine(line);
        printErr(line);
      }
    }
  }
  if (pending !== "") printErr(pending);
}
