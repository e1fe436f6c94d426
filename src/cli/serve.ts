/**
 * `stemedb serve` and `stemedb start`: the HTTP API with the ingestor running
 * in the same process, until SIGINT/SIGTERM.
 *
 * @module
 */

import { ConfigError, hostnameEnv, portEnv } from "../config/env.ts";
import { parseRetention } from "../config/retention.ts";
import { defaultMaxConnections, openFileLimit, RESERVED_FILES } from "../config/open_files.ts";
import { serviceEnv, type ServiceEnvSettings } from "../config/service_env.ts";
import type { CleanupOptions } from "../ingest/mod.ts";
import {
  accessNotice,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_HEADER_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_INFLIGHT_WRITES,
  listen,
} from "../http/mod.ts";
import { openServed } from "../http/served.ts";
import { listenOnThreads } from "../http/_listener_threads.ts";
import type { DataConfig } from "../config/data_dir.ts";
import { exitWithinDeadline } from "../telemetry/_exit_deadline.ts";
import { type Command, type CommandInput, intOption, stringOption } from "./_command.ts";
import { emit, EXIT_OK, printOut, UsageError } from "./_output.ts";
import { onStopSignal } from "./_signals.ts";
import {
  banner,
  type ServedJournal,
  type ServeSettings,
  startReport,
  urlOf,
} from "./_serve_report.ts";

/** Default listening port. */
export const DEFAULT_PORT = 8000;
/** Default listening address: loopback only. */
export const DEFAULT_HOSTNAME = "127.0.0.1";

const serveOptions: Command["options"] = {
  port: {
    type: "string",
    short: "p",
    value: "n",
    description: "Port; 0 picks a free one (env STEMEDB_PORT or PORT; default 8000)",
  },
  hostname: {
    type: "string",
    value: "host",
    description: "Address to listen on (env STEMEDB_HOSTNAME; default 127.0.0.1)",
  },
  "protect-reads": {
    type: "boolean",
    description:
      "With STEMEDB_TOKEN set, require the token for reads too (env STEMEDB_PROTECT_READS)",
  },
  "max-body": {
    type: "string",
    value: "bytes",
    description: `Request body limit (env STEMEDB_MAX_BODY; default ${DEFAULT_MAX_BODY_BYTES})`,
  },
  workers: {
    type: "string",
    value: "n",
    description:
      "Workers, each a thread writing a journal shard of its own, all on one port (default 1)",
  },
  retention: {
    type: "string",
    value: "duration|bytes",
    description:
      "Read journal kept before cleanup deletes it: 7d, 12h, 1GiB (env STEMEDB_RETENTION; default 0)",
  },
  "segment-bytes": {
    type: "string",
    value: "bytes",
    description: "Journal segment size (env STEMEDB_SEGMENT_BYTES; default 64 MiB)",
  },
  "read-only": {
    type: "boolean",
    description:
      "Serve reads from the KV alone: no journal, no file, writes answer 405 (env STEMEDB_READ_ONLY)",
  },
  "body-timeout": {
    type: "string",
    value: "ms",
    description:
      `Longest a request body may take to arrive, else 408 (env STEMEDB_BODY_TIMEOUT_MS; default ${DEFAULT_BODY_TIMEOUT_MS})`,
  },
  "header-timeout": {
    type: "string",
    value: "ms",
    description:
      `Longest a request head may take to arrive, else 408 and the connection closes (env STEMEDB_HEADER_TIMEOUT_MS; default ${DEFAULT_HEADER_TIMEOUT_MS})`,
  },
  "max-connections": {
    type: "string",
    value: "n",
    description:
      `Connections held at once, all workers together; more are closed at once (env STEMEDB_MAX_CONNECTIONS; default the open-file limit less ${RESERVED_FILES})`,
  },
  "max-inflight-writes": {
    type: "string",
    value: "n",
    description:
      `Write requests in flight at once, more answer 429 (env STEMEDB_MAX_INFLIGHT_WRITES; default ${DEFAULT_MAX_INFLIGHT_WRITES})`,
  },
  "max-lag": {
    type: "string",
    value: "records",
    description:
      "Past this many records not yet ingested, writes answer 429 with Retry-After (env STEMEDB_MAX_LAG; default no limit)",
  },
  insecure: {
    type: "boolean",
    description:
      "Listen on a non-loopback address without STEMEDB_TOKEN (reads open to the network; writes still loopback-only)",
  },
};

const AUTH_NOTE = "When STEMEDB_TOKEN is set, writes need `Authorization: Bearer <token>`;\n" +
  "without it, writes are accepted only from loopback.";

/** The `serve` command. */
export const serveCommand: Command = {
  name: "serve",
  summary: "Run the HTTP API with the ingestor in the same process",
  usage:
    "serve [--port <n>] [--hostname <host>] [--protect-reads] [--max-body <bytes>] [--workers <n>] [--retention <duration|bytes>] [--segment-bytes <bytes>] [--read-only] [--max-lag <records>] [--body-timeout <ms>] [--header-timeout <ms>] [--max-connections <n>] [--max-inflight-writes <n>] [--insecure]",
  description: [
    "Serves the HTTP API (POST /assertions, /votes, /epochs; GET /assertions/:hash, ...)",
    "over the journal and Deno KV, with the ingestor applying new records in the background.",
    AUTH_NOTE,
    "Each worker claims the first free journal shard (<data>/wal, <data>/wal-1, ...); all",
    "share the KV, so any worker answers any query. Sealed segments every consumer has read",
    "are deleted unless --retention keeps them. --read-only opens the KV alone (an edge",
    "reader). Stops gracefully on SIGINT/SIGTERM: in-flight requests finish, then the",
    "ingestor stops and the journal closes. Every worker listens over node:http, which cuts a",
    "request head slower than --header-timeout (408); deno serve has no such deadline.",
  ].join("\n"),
  options: serveOptions,
  positionals: [0, 0],
  run: (input) => runServe(input, false),
};

/** The `start` command: `serve` on the embedded defaults, explaining itself. */
export const startCommand: Command = {
  name: "start",
  summary: "Start the service on the embedded defaults (./data, 127.0.0.1:8000)",
  usage:
    "start [--port <n>] [--hostname <host>] [--protect-reads] [--max-body <bytes>] [--workers <n>] [--retention <duration|bytes>] [--segment-bytes <bytes>] [--read-only] [--max-lag <records>] [--body-timeout <ms>] [--header-timeout <ms>] [--max-connections <n>] [--max-inflight-writes <n>] [--insecure]",
  description: [
    "Starts the service on the embedded defaults: journal in ./data/wal, Deno KV in",
    "./data/kv.sqlite, HTTP on 127.0.0.1:8000 (PORT or STEMEDB_PORT overrides the port;",
    "0 picks a free one), with the ingestor in the same process. Prints where it listens.",
    AUTH_NOTE,
  ].join("\n"),
  options: serveOptions,
  positionals: [0, 0],
  run: (input) => runServe(input, true),
};

/** Whether `hostname` names only this machine. */
function isLoopbackHost(hostname: string): boolean {
  return /^127\./.test(hostname) || hostname === "::1" || hostname === "[::1]" ||
    hostname.toLowerCase() === "localhost";
}

function portOf(input: CommandInput): number {
  if (input.values.port !== undefined) return intOption(input, "port", DEFAULT_PORT, 0);
  return fromEnv(portEnv) ?? DEFAULT_PORT;
}

/** Read the environment; a bad variable is a mistake in how the command was called, like a bad flag. */
function fromEnv<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function retentionOf(input: CommandInput, env: ServiceEnvSettings): CleanupOptions {
  const flag = stringOption(input, "retention");
  if (flag === undefined) return env.retention ?? {};
  try {
    return parseRetention(flag);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

function settingsOf(input: CommandInput): ServeSettings {
  const port = portOf(input);
  if (port > 65535) throw new UsageError(`Invalid value for option "--port": ${port}`);
  const env = fromEnv(serviceEnv);
  const has = (name: string) => input.values[name] !== undefined;
  return {
    port,
    hostname: stringOption(input, "hostname") ?? fromEnv(hostnameEnv) ?? DEFAULT_HOSTNAME,
    workers: intOption(input, "workers", 1),
    insecure: input.values.insecure === true,
    token: env.token,
    protectReads: input.values["protect-reads"] === true || env.protectReads,
    readOnly: input.values["read-only"] === true || env.readOnly,
    retention: retentionOf(input, env),
    segmentBytes: has("segment-bytes") ? intOption(input, "segment-bytes", 0) : env.segmentBytes,
    maxBodyBytes: intOption(input, "max-body", env.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES),
    bodyTimeoutMs: intOption(input, "body-timeout", env.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS),
    headerTimeoutMs: intOption(
      input,
      "header-timeout",
      env.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS,
    ),
    maxConnections: has("max-connections")
      ? intOption(input, "max-connections", 0)
      : env.maxConnections ?? defaultMaxConnections(openFileLimit()),
    maxInflightWrites: intOption(
      input,
      "max-inflight-writes",
      env.maxInflightWrites ?? DEFAULT_MAX_INFLIGHT_WRITES,
    ),
    maxLagRecords: has("max-lag") ? intOption(input, "max-lag", 0) : env.maxLagRecords,
  };
}

async function runServe(input: CommandInput, explain: boolean): Promise<number> {
  const settings = settingsOf(input);
  const { token, protectReads } = settings;
  // A reader takes no writes, so an edge reader may face the network without a token.
  if (
    token === undefined && !settings.readOnly && !isLoopbackHost(settings.hostname) &&
    !settings.insecure
  ) {
    throw new UsageError(
      `Cannot listen on "${settings.hostname}" without STEMEDB_TOKEN: the service would be open ` +
        "to the network; set STEMEDB_TOKEN, or pass --insecure to serve reads to the network " +
        "(writes stay loopback-only)",
    );
  }
  const access = accessNotice({ token, protectReads });
  const stop = onStopSignal();
  try {
    const running = await startListening(input.config, settings, stop.signal);
    const url = urlOf(running.addr);
    emit(
      input.json,
      startReport(running.addr, input, settings, running.journal),
      () => banner(url, input, { ...settings, journal: running.journal, access }, explain),
    );
    // The signal stops accepting; `finished` waits for in-flight requests (at most 10 s).
    await running.finished;
  } finally {
    stop.dispose();
  }
  if (!input.json) printOut("Stopped");
  // This command owns the process: its end is bounded even if the telemetry flush blocks.
  exitWithinDeadline(EXIT_OK);
}

/** The service listening: where, its journal shard (`null` for many or none), and its end. */
interface Running {
  addr: Deno.NetAddr;
  journal: ServedJournal;
  /** Resolves once stopped (by `signal`) and closed. */
  finished: Promise<void>;
}

/**
 * Open the service and listen with `listen()` (node:http, not Deno.serve, which has no deadline
 * on the request head): in this thread, or on `--workers` threads with a shard and a listener
 * each on one port.
 */
async function startListening(
  config: DataConfig,
  settings: ServeSettings,
  signal: AbortSignal,
): Promise<Running> {
  const { port, hostname, headerTimeoutMs, maxConnections } = settings;
  try {
    if (settings.workers > 1) {
      const threads = await listenOnThreads({
        workers: settings.workers,
        config,
        settings,
        // One process, one descriptor limit: each thread holds its part of the connections.
        listen: {
          port,
          hostname,
          headerTimeoutMs,
          maxConnections: maxConnections === undefined
            ? undefined
            : Math.max(1, Math.floor(maxConnections / settings.workers)),
        },
        signal,
      });
      return { addr: threads.addr, journal: null, finished: threads.finished };
    }
    const { app, journal, close } = await openServed(config, settings);
    try {
      const listener = await listen(app, {
        port,
        hostname,
        headerTimeoutMs,
        maxConnections,
        signal,
      });
      return { addr: listener.addr, journal, finished: listener.finished.finally(close) };
    } catch (error) {
      await close();
      throw error;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    throw new Error(
      `Cannot listen on ${hostname}:${port}: the address is in use (another stemedb serve?). ` +
        "Stop what listens there, or pick another port with --port <n> (--port 0 picks a free one)",
      { cause: error },
    );
  }
}
