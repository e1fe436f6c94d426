/**
 * What `serve`/`start` report once listening, in one process or as
 * `--workers N`: the settings they run with, the URL, and the banner.
 *
 * @module
 */

import { describeRetention } from "../config/retention.ts";
import type { ServiceEnvSettings } from "../config/service_env.ts";
import type { CleanupOptions } from "../ingest/mod.ts";
import type { CommandInput } from "./_command.ts";

/**
 * Everything `serve` was asked for, flags over environment over defaults:
 * the service's settings, which every worker thread is handed whole, and
 * the listener's. A new setting goes in `ServiceEnvSettings` (and so reaches
 * the `deno serve` entry too) unless it is about the listener.
 */
export interface ServeSettings extends Omit<ServiceEnvSettings, "data" | "kv" | "kvTimeoutMs"> {
  /** `--port`, `STEMEDB_PORT`, `PORT`; 0 picks a free one, which every worker then shares. */
  port: number;
  /** `--hostname`, `STEMEDB_HOSTNAME`. */
  hostname: string;
  /** `--workers`: worker threads, one journal shard and one listener each, on one port. */
  workers: number;
  /** `--insecure`: listen on a non-loopback address without a token (checked before listening). */
  insecure: boolean;
  /** `STEMEDB_TOKEN`: bearer token for writes, `undefined` for no auth. */
  token: string | undefined;
  /** `--retention`, `STEMEDB_RETENTION`: what cleanup keeps of the read journal. */
  retention: CleanupOptions;
  /** `--max-body`, `STEMEDB_MAX_BODY`. */
  maxBodyBytes: number;
  /** `--body-timeout`, `STEMEDB_BODY_TIMEOUT_MS`: longest a body may take to arrive, in ms. */
  bodyTimeoutMs: number;
  /**
   * `--header-timeout`, `STEMEDB_HEADER_TIMEOUT_MS`: longest a request head may take, in ms.
   */
  headerTimeoutMs: number;
  /**
   * `--max-connections`, `STEMEDB_MAX_CONNECTIONS`, else the open-file limit
   * less what the service keeps open; `undefined`: no cap (the limit is unknown).
   */
  maxConnections: number | undefined;
  /** `--max-inflight-writes`, `STEMEDB_MAX_INFLIGHT_WRITES`: writes answered at once. */
  maxInflightWrites: number;
}

/** The URL a listening address is reached at. */
export function urlOf(addr: Deno.NetAddr): string {
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return `http://${host}:${addr.port}`;
}

/** What the auth settings require, as the startup report says it. */
export function authOf(settings: ServeSettings): string {
  return settings.token === undefined
    ? "off"
    : settings.protectReads
    ? "reads and writes"
    : "writes";
}

/** Where this process writes: its journal shard, or `null` (read-only, or one shard per worker). */
export type ServedJournal = { dir: string; id: string; shard: number } | null;

/** The JSON startup report of `serve`/`start`, in one process or as `--workers N`. */
export function startReport(
  addr: Deno.NetAddr,
  input: CommandInput,
  settings: ServeSettings,
  journal: ServedJournal,
): Record<string, unknown> {
  const writer = !settings.readOnly;
  return {
    url: urlOf(addr),
    hostname: addr.hostname,
    port: addr.port,
    workers: settings.workers,
    readOnly: settings.readOnly,
    journal,
    kv: input.config.kv,
    ingestor: !writer ? "none" : settings.workers > 1 ? "running in each worker" : "running",
    retention: writer ? describeRetention(settings.retention) : null,
    auth: authOf(settings),
    writes: !writer ? "none" : settings.token === undefined ? "loopback" : "token",
    maxLag: settings.maxLagRecords ?? null,
    maxBody: settings.maxBodyBytes,
    bodyTimeoutMs: settings.bodyTimeoutMs,
    headerTimeoutMs: settings.headerTimeoutMs,
    maxConnections: settings.maxConnections ?? null,
    maxInflightWrites: settings.maxInflightWrites,
  };
}

/** The human startup report of `serve`/`start`. */
export function banner(
  url: string,
  input: CommandInput,
  shown: ServeSettings & {
    journal: ServedJournal;
    /** Who may write, as the HTTP layer's `accessNotice()` says it. */
    access: string;
  },
  explain: boolean,
): string {
  const lines = [`stemedb listening on ${url}`];
  if (shown.readOnly) {
    lines.push(
      `  kv        ${input.config.kv}`,
      "  mode      read-only: every read from the KV, no journal, writes answer 405",
    );
  } else {
    lines.push(
      shown.journal === null
        ? `  journals  ${shown.workers} workers, each its own shard of ${input.config.dataDir} (wal, wal-1, ...)`
        : `  journal   ${shown.journal.dir} (shard ${shown.journal.shard}, id ${shown.journal.id})`,
      `  kv        ${input.config.kv}`,
      "  ingestor  running in this process: POSTed records become queryable within moments",
      `  cleanup   sealed segments every consumer has read, keeping ${
        describeRetention(shown.retention)
      }`,
    );
  }
  lines.push(`  ${shown.access}`);
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
