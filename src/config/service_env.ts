/**
 * The service's settings as environment variables: how the `deno serve`
 * entry reads them, and what `stemedb serve` reads beneath its flags. One
 * table holds every setting with its variable: the type of the table names
 * every field of {@linkcode ServiceEnvSettings}, and a field without a row
 * does not compile.
 *
 * @module
 */

import type { CleanupOptions } from "../ingest/mod.ts";
import {
  accessEnv,
  bodyTimeoutEnv,
  dataEnv,
  ENV,
  type Environment,
  headerTimeoutEnv,
  kvTimeoutEnv,
  maxConnectionsEnv,
  maxInflightWritesEnv,
  maxLagEnv,
  readOnlyEnv,
  retentionEnv,
  sizeEnv,
} from "./env.ts";

/**
 * Everything a service process takes from its environment; `undefined` is
 * "unset", which each layer reads as its own default.
 */
export interface ServiceEnvSettings {
  /** `STEMEDB_DATA`: data directory. */
  data?: string;
  /** `STEMEDB_KV`: Deno KV path or URL. */
  kv?: string;
  /** `STEMEDB_KV_TIMEOUT_MS`: deadline of each Deno KV call. */
  kvTimeoutMs?: number;
  /** `STEMEDB_TOKEN`: bearer token for writes. */
  token?: string;
  /** `STEMEDB_PROTECT_READS`: reads need the token too. */
  protectReads: boolean;
  /** `STEMEDB_READ_ONLY`: the KV alone, no journal. */
  readOnly: boolean;
  /** `STEMEDB_RETENTION`: read journal kept before cleanup. */
  retention?: CleanupOptions;
  /** `STEMEDB_SEGMENT_BYTES`: journal segment size. */
  segmentBytes?: number;
  /** `STEMEDB_MAX_BODY`: request body limit in bytes. */
  maxBodyBytes?: number;
  /** `STEMEDB_BODY_TIMEOUT_MS`: longest a request body may take to arrive. */
  bodyTimeoutMs?: number;
  /**
   * `STEMEDB_HEADER_TIMEOUT_MS`: longest a request head may take to arrive.
   * Only the `node:http` listener of `serve`/`start` (each of its workers)
   * has a head deadline; under `deno serve` the runtime owns the listener
   * and has none (denoland/deno#3515).
   */
  headerTimeoutMs?: number;
  /**
   * `STEMEDB_MAX_CONNECTIONS`: connections the service holds at once, all
   * its workers together; past it a new connection is closed at once. Only
   * the `node:http` listener of `serve`/`start` has the cap.
   */
  maxConnections?: number;
  /** `STEMEDB_MAX_INFLIGHT_WRITES`: write requests in flight at once. */
  maxInflightWrites?: number;
  /** `STEMEDB_MAX_LAG`: records behind past which writes answer 429. */
  maxLagRecords?: number;
}

/** One setting: its variable and how it is read. */
interface Row<T> {
  variable: string;
  read(env: Environment): T;
}

const ROWS: { [K in keyof ServiceEnvSettings]-?: Row<ServiceEnvSettings[K]> } = {
  data: { variable: ENV.data, read: (env) => dataEnv(env).data },
  kv: { variable: ENV.kv, read: (env) => dataEnv(env).kv },
  kvTimeoutMs: { variable: ENV.kvTimeout, read: kvTimeoutEnv },
  token: { variable: ENV.token, read: (env) => accessEnv(env).token },
  protectReads: {
    variable: ENV.protectReads,
    read: (env) => accessEnv(env).protectReads,
  },
  readOnly: { variable: ENV.readOnly, read: readOnlyEnv },
  retention: { variable: ENV.retention, read: retentionEnv },
  segmentBytes: {
    variable: ENV.segmentBytes,
    read: (env) => sizeEnv(ENV.segmentBytes, env),
  },
  maxBodyBytes: { variable: ENV.maxBody, read: (env) => sizeEnv(ENV.maxBody, env) },
  bodyTimeoutMs: { variable: ENV.bodyTimeout, read: bodyTimeoutEnv },
  headerTimeoutMs: { variable: ENV.headerTimeout, read: headerTimeoutEnv },
  maxConnections: { variable: ENV.maxConnections, read: maxConnectionsEnv },
  maxInflightWrites: { variable: ENV.maxInflightWrites, read: maxInflightWritesEnv },
  maxLagRecords: { variable: ENV.maxLag, read: maxLagEnv },
};

const KEYS = Object.keys(ROWS) as (keyof ServiceEnvSettings)[];

/**
 * Read every service setting from the environment.
 *
 * @throws {ConfigError} If a variable is set to a value it cannot mean.
 */
export function serviceEnv(env: Environment = Deno.env): ServiceEnvSettings {
  const settings: Partial<Record<keyof ServiceEnvSettings, unknown>> = {};
  for (const key of KEYS) settings[key] = ROWS[key].read(env);
  return settings as unknown as ServiceEnvSettings;
}
