/**
 * What `serve`/`start` report once listening, in one process or as
 * `--workers N`: the settings they run with, the URL, and the banner.
 *
 * @module
 */

import { describeRetention } from "../config/retention.ts";
import type { CleanupOptions } from "../ingest/mod.ts";
import type { CommandInput } from "./_command.ts";

/** Everything `serve` was asked for, flags over environment over defaults. */
export interface ServeSettings {
  /** `--port`, `STEMEDB_PORT`, `PORT`; 0 picks a free one. */
  port: number;
  /** `--hostname`, `STEMEDB_HOSTNAME`. */
  hostname: string;
  /** `STEMEDB_TOKEN`: bearer token for writes, `undefined` for no auth. */
  token: string | undefined;
  /** `--protect-reads`, `STEMEDB_PROTECT_READS`. */
  protectReads: boolean;
  /** `--max-body`, `STEMEDB_MAX_BODY`. */
  maxBodyBytes: number;
  /** `--workers`: `deno serve --parallel` workers, one journal shard each. */
  workers: number;
  /** `--read-only`, `STEMEDB_READ_ONLY`: the KV alone, no journal. */
  readOnly: boolean;
  /** `--retention`, `STEMEDB_RETENTION`: what cleanup keeps of the read journal. */
  retention: CleanupOptions;
  /** `--segment-bytes`, `STEMEDB_SEGMENT_BYTES`; `undefined` for the journal's default. */
  segmentBytes: number | undefined;
  /** `--max-lag`, `STEMEDB_MAX_LAG`: records behind past which writes answer 429. */
  maxLagRecords: number | undefined;
  /** `--body-timeout`: longest a request body may take to arrive, in milliseconds. */
  bodyTimeoutMs: number;
  /** `--max-inflight-writes`: write requests answered at once, more get 429. */
  maxInflightWrites: number;
  /** `--insecure`: listen on a non-loopback address without a token. */
  insecure: boolean;
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

/** The human startup report of `serve`/`start`. */
export function banner(
  url: string,
  input: CommandInput,
  shown: ServeSettings & {
    journal: { dir: string; id: string; shard: number } | null;
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
