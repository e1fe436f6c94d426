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

import { ENV } from "../config/env.ts";
import { describeRetention } from "../config/retention.ts";
import type { CommandInput } from "./_command.ts";
import { emit, printErr } from "./_output.ts";
import { authOf, banner, type ServeSettings, urlOf } from "./_serve_report.ts";
import { onStopSignal } from "./_signals.ts";

const ENTRY = new URL("../http/mod.ts", import.meta.url);
const CONFIG = new URL("../../deno.json", import.meta.url);

/** Run `deno serve --parallel` with `settings.workers` workers until it exits; resolves to its exit code. */
export async function serveWorkers(
  input: CommandInput,
  settings: ServeSettings & { access: string },
  explain: boolean,
): Promise<number> {
  const permissions = ["--allow-read", "--allow-env", "--allow-net"];
  if (!settings.readOnly) permissions.push("--allow-write");
  const config = ENTRY.protocol === "file:" ? ["--config", CONFIG.pathname] : [];
  const env: Record<string, string> = {
    DENO_JOBS: String(settings.workers),
    NO_COLOR: "1",
    [ENV.data]: input.config.dataDir,
    [ENV.kv]: input.config.kv,
    [ENV.token]: settings.token ?? "",
    [ENV.protectReads]: settings.protectReads ? "1" : "",
    [ENV.readOnly]: settings.readOnly ? "1" : "",
    [ENV.retention]: describeRetention(settings.retention).replace(/ bytes$/, ""),
    [ENV.maxBody]: String(settings.maxBodyBytes),
    [ENV.segmentBytes]: settings.segmentBytes === undefined ? "" : String(settings.segmentBytes),
    [ENV.maxLag]: settings.maxLagRecords === undefined ? "" : String(settings.maxLagRecords),
  };
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      "--parallel",
      ...config,
      ...permissions,
      "--unstable-kv",
      "--port",
      String(settings.port),
      "--host",
      settings.hostname,
      ENTRY.href,
    ],
    env,
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  const stop = onStopSignal();
  stop.signal.addEventListener("abort", () => child.kill("SIGTERM"), { once: true });
  try {
    await relayStderr(child.stderr, (addr) => {
      const url = urlOf(addr);
      emit(input.json, {
        url,
        hostname: addr.hostname,
        port: addr.port,
        workers: settings.workers,
        readOnly: settings.readOnly,
        journal: null,
        kv: input.config.kv,
        ingestor: settings.readOnly ? "none" : "running in each worker",
        retention: settings.readOnly ? null : describeRetention(settings.retention),
        auth: authOf(settings),
      }, () => banner(url, input, { ...settings, journal: null }, explain));
    });
    return (await child.status).code;
  } finally {
    stop.dispose();
  }
}

/** Pass the child's stderr on, calling `onListen` once it says where it listens. */
async function relayStderr(
  stream: ReadableStream<Uint8Array>,
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
      } else printErr(line);
    }
  }
  if (pending !== "") printErr(pending);
}
