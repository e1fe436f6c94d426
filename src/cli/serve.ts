/**
 * `stemedb serve` and `stemedb start`: the HTTP API with the ingestor running
 * in the same process, until SIGINT/SIGTERM.
 *
 * @module
 */

import {
  accessEnv,
  ConfigError,
  ENV,
  hostnameEnv,
  portEnv,
  readOnlyEnv,
  retentionEnv,
  sizeEnv,
} from "../config/env.ts";
import { describeRetention, parseRetention } from "../config/retention.ts";
import { openReaderService, openService } from "../config/service.ts";
import type { CleanupOptions } from "../ingest/mod.ts";
import { type App, createApp, DEFAULT_MAX_BODY_BYTES } from "../http/mod.ts";
import { type Command, type CommandInput, intOption, stringOption } from "./_command.ts";
import { emit, EXIT_OK, printOut, UsageError } from "./_output.ts";
import { onStopSignal } from "./_signals.ts";
import { authOf, banner, type ServeSettings, urlOf } from "./_serve_report.ts";
import { serveWorkers } from "./_workers.ts";

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
      "Workers, each writing a journal shard of its own (deno serve --parallel; default 1)",
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
};

const AUTH_NOTE = "When STEMEDB_TOKEN is set, writes need `Authorization: Bearer <token>`.";

/** The `serve` command. */
export const serveCommand: Command = {
  name: "serve",
  summary: "Run the HTTP API with the ingestor in the same process",
  usage:
    "serve [--port <n>] [--hostname <host>] [--protect-reads] [--max-body <bytes>] [--workers <n>] [--retention <duration|bytes>] [--segment-bytes <bytes>] [--read-only]",
  description: [
    "Serves the HTTP API (POST /assertions, /votes, /epochs; GET /assertions/:hash, ...)",
    "over the journal and Deno KV, with the ingestor applying new records in the background.",
    AUTH_NOTE,
    "Each worker claims the first free journal shard (<data>/wal, <data>/wal-1, ...); all",
    "share the KV, so any worker answers any query. Sealed segments every consumer has read",
    "are deleted unless --retention keeps them. --read-only opens the KV alone (an edge",
    "reader). Stops gracefully on SIGINT/SIGTERM: in-flight requests finish, then the",
    "ingestor stops and the journal closes.",
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
    "start [--port <n>] [--hostname <host>] [--protect-reads] [--max-body <bytes>] [--workers <n>] [--retention <duration|bytes>] [--segment-bytes <bytes>] [--read-only]",
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

function settingsOf(input: CommandInput): ServeSettings {
  const port = portOf(input);
  if (port > 65535) throw new UsageError(`Invalid value for option "--port": ${port}`);
  const access = accessEnv();
  const retentionFlag = stringOption(input, "retention");
  let retention: CleanupOptions;
  try {
    retention = retentionFlag === undefined ? retentionEnv() ?? {} : parseRetention(retentionFlag);
  } catch (error) {
    // A bad value, flag or variable, is a mistake in how the command was called.
    if (error instanceof RangeError || error instanceof ConfigError) {
      throw new UsageError(error.message);
    }
    throw error;
  }
  return {
    port,
    hostname: stringOption(input, "hostname") ?? hostnameEnv() ?? DEFAULT_HOSTNAME,
    token: access.token,
    protectReads: input.values["protect-reads"] === true || access.protectReads,
    maxBodyBytes: intOption(input, "max-body", envSize(ENV.maxBody) ?? DEFAULT_MAX_BODY_BYTES),
    workers: intOption(input, "workers", 1),
    readOnly: input.values["read-only"] === true || readOnlyEnv(),
    retention,
    segmentBytes: input.values["segment-bytes"] === undefined
      ? envSize(ENV.segmentBytes)
      : intOption(input, "segment-bytes", 0),
  };
}

function envSize(name: typeof ENV.maxBody | typeof ENV.segmentBytes): number | undefined {
  try {
    return sizeEnv(name);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

async function runServe(input: CommandInput, explain: boolean): Promise<number> {
  const settings = settingsOf(input);
  if (settings.workers > 1) return await serveWorkers(input, settings, explain);
  const { token, protectReads, maxBodyBytes } = settings;
  let app: App;
  let close: () => Promise<void>;
  let journal: { dir: string; id: string; shard: number } | null = null;
  if (settings.readOnly) {
    const reader = await openReaderService(input.config);
    app = createApp({ store: reader.store, token, protectReads, maxBodyBytes });
    close = reader.close;
  } else {
    const service = await openService(input.config, {
      retention: settings.retention,
      journal: settings.segmentBytes === undefined ? {} : { segmentBytes: settings.segmentBytes },
    });
    const { store, ingestor, journals } = service;
    app = createApp({
      journal: service.journal,
      journals,
      store,
      ingestor,
      token,
      protectReads,
      maxBodyBytes,
    });
    close = service.close;
    journal = { dir: service.journal.dir, id: service.journal.id, shard: service.shard };
  }
  const stop = onStopSignal();
  try {
    const listening = Promise.withResolvers<Deno.NetAddr>();
    let server;
    try {
      server = Deno.serve(
        {
          port: settings.port,
          hostname: settings.hostname,
          signal: stop.signal,
          onListen: (addr) => listening.resolve(addr),
        },
        app.fetch,
      );
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
      throw new Error(
        `Cannot listen on ${settings.hostname}:${settings.port}: the address is in use (another stemedb serve?). ` +
          "Stop what listens there, or pick another port with --port <n> (--port 0 picks a free one)",
        { cause: error },
      );
    }
    const addr = await listening.promise;
    const url = urlOf(addr);
    emit(input.json, {
      url,
      hostname: addr.hostname,
      port: addr.port,
      workers: 1,
      readOnly: settings.readOnly,
      journal,
      kv: input.config.kv,
      ingestor: settings.readOnly ? "none" : "running",
      retention: settings.readOnly ? null : describeRetention(settings.retention),
      auth: authOf(settings),
    }, () => banner(url, input, { ...settings, journal }, explain));
    // Deno.serve's signal stops accepting; `finished` waits for in-flight requests.
    await server.finished;
  } finally {
    stop.dispose();
    await close();
  }
  if (!input.json) printOut("Stopped");
  return EXIT_OK;
}
