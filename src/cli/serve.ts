/**
 * `stemedb serve` and `stemedb start`: the HTTP API with the ingestor running
 * in the same process, until SIGINT/SIGTERM.
 *
 * @module
 */

import { accessEnv, ConfigError, hostnameEnv, maxLagEnv, portEnv } from "../config/env.ts";
import { openService } from "../config/service.ts";
import {
  accessNotice,
  createApp,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_INFLIGHT_WRITES,
} from "../http/mod.ts";
import { type Command, type CommandInput, intOption, stringOption } from "./_command.ts";
import { emit, EXIT_OK, printOut, UsageError } from "./_output.ts";
import { onStopSignal } from "./_signals.ts";

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
    description: `Request body limit (default ${DEFAULT_MAX_BODY_BYTES})`,
  },
  "body-timeout": {
    type: "string",
    value: "ms",
    description:
      `Longest a request body may take to arrive, else 408 (default ${DEFAULT_BODY_TIMEOUT_MS})`,
  },
  "max-inflight-writes": {
    type: "string",
    value: "n",
    description:
      `Write requests in flight at once, more answer 429 (default ${DEFAULT_MAX_INFLIGHT_WRITES})`,
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
  usage: "serve [--port <n>] [--hostname <host>]",
  description: [
    "Serves the HTTP API (POST /assertions, /votes, /epochs; GET /assertions/:hash, ...)",
    "over the journal and Deno KV, with the ingestor applying new records in the background.",
    AUTH_NOTE,
    "Stops gracefully on SIGINT/SIGTERM.",
  ].join("\n"),
  options: serveOptions,
  positionals: [0, 0],
  run: (input) => runServe(input, false),
};

/** The `start` command: `serve` on the embedded defaults, explaining itself. */
export const startCommand: Command = {
  name: "start",
  summary: "Start the service on the embedded defaults (./data, 127.0.0.1:8000)",
  usage: "start",
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

/** `--max-lag`, else `STEMEDB_MAX_LAG`, else no limit. */
function maxLagOf(input: CommandInput): number | undefined {
  if (input.values["max-lag"] !== undefined) return intOption(input, "max-lag", 0);
  try {
    return maxLagEnv();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function portOf(input: CommandInput): number {
  if (input.values.port !== undefined) return intOption(input, "port", DEFAULT_PORT, 0);
  try {
    return portEnv() ?? DEFAULT_PORT;
  } catch (error) {
    // A bad variable is a mistake in how the command was called, like a bad flag.
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

async function runServe(input: CommandInput, explain: boolean): Promise<number> {
  const port = portOf(input);
  if (port > 65535) throw new UsageError(`Invalid value for option "--port": ${port}`);
  const hostname = stringOption(input, "hostname") ?? hostnameEnv() ?? DEFAULT_HOSTNAME;
  const access = accessEnv();
  const token = access.token;
  const protectReads = input.values["protect-reads"] === true || access.protectReads;
  const maxBodyBytes = intOption(input, "max-body", DEFAULT_MAX_BODY_BYTES);
  const maxLagRecords = maxLagOf(input);
  const bodyTimeoutMs = intOption(input, "body-timeout", DEFAULT_BODY_TIMEOUT_MS);
  const maxInflightWrites = intOption(input, "max-inflight-writes", DEFAULT_MAX_INFLIGHT_WRITES);
  if (token === undefined && !isLoopbackHost(hostname) && input.values.insecure !== true) {
    throw new UsageError(
      `Cannot listen on "${hostname}" without STEMEDB_TOKEN: the service would be open to the ` +
        "network; set STEMEDB_TOKEN, or pass --insecure to serve reads to the network " +
        "(writes stay loopback-only)",
    );
  }
  const service = await openService(input.config);
  const { journal, store, ingestor, lag } = service;
  const app = createApp({
    journal,
    store,
    ingestor,
    lag,
    token,
    protectReads,
    maxBodyBytes,
    maxLagRecords,
    bodyTimeoutMs,
    maxInflightWrites,
  });
  const stop = onStopSignal();
  try {
    const listening = Promise.withResolvers<Deno.NetAddr>();
    const server = Deno.serve(
      { port, hostname, signal: stop.signal, onListen: (addr) => listening.resolve(addr) },
      app.fetch,
    );
    const addr = await listening.promise;
    const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
    const url = `http://${host}:${addr.port}`;
    emit(
      input.json,
      {
        url,
        hostname: addr.hostname,
        port: addr.port,
        journal: { dir: input.config.walDir, id: service.journal.id },
        kv: input.config.kv,
        ingestor: "running",
        auth: token === undefined ? "off" : protectReads ? "reads and writes" : "writes",
        writes: token === undefined ? "loopback" : "token",
        maxLag: maxLagRecords ?? null,
      },
      () => banner(url, input, service.journal.id, accessNotice({ token, protectReads }), explain),
    );
    await server.finished;
  } finally {
    stop.dispose();
    await service.close();
  }
  if (!input.json) printOut("Stopped");
  return EXIT_OK;
}

function banner(
  url: string,
  input: CommandInput,
  journalId: string,
  auth: string,
  explain: boolean,
): string {
  const lines = [
    `stemedb listening on ${url}`,
    `  journal   ${input.config.walDir} (id ${journalId})`,
    `  kv        ${input.config.kv}`,
    "  ingestor  running in this process: POSTed records become queryable within moments",
    `  ${auth}`,
  ];
  if (explain) {
    lines.push(
      "",
      "Try:",
      `  curl -s -X POST '${url}/assertions?wait=ingested' -H 'content-type: application/json' \\`,
      `    -d '{"subject":"Paris","predicate":"capitalOf","object":"France","source":"readme","confidence":0.99,"timestamp":1700000000000}'`,
      `  curl -s ${url}/subjects/Paris/assertions`,
      "",
      "Press Ctrl-C to stop.",
    );
  }
  return lines.join("\n");
}
