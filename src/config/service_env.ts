/**
 * The service's settings as environment variables, both ways: how the
 * `deno serve` entry reads them, and how a launcher writes them for a
 * `deno serve` it starts ({@linkcode serviceEnvVars}; `serve --workers N`
 * used to, and now hands its worker threads the settings whole). One table
 * holds every setting with its variable, so a setting the entry reads is a
 * setting a launcher can give it: the type of the table names every field of
 * {@linkcode ServiceEnvSettings}, and a field without a row does not compile.
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

/** One setting: its variable, how it is read, and how a value is written back. */
interface Row<T> {
  variable: string;
  read(env: Environment): T;
  /** The text `read` gives `value` back from; `""` (unset) for `undefined` or `false`. */
  write(value: T): string;
}

const text: Row<string | undefined>["write"] = (value) => value ?? "";
const int: Row<number | undefined>["write"] = (value) => value === undefined ? "" : String(value);
const flag: Row<boolean>["write"] = (value) => value ? "1" : "";

/** A retention as `parseRetention()` reads it: milliseconds for a duration, bytes for a size. */
function retentionText(retention: CleanupOptions | undefined): string {
  if (retention === undefined) return "";
  const { retainMs, retainBytes } = retention;
  if (retainMs !== undefined && retainBytes) {
    throw new RangeError("Cannot write a retention of both a duration and a size to one variable");
  }
  return retainMs !== undefined ? `${retainMs}ms` : String(retainBytes ?? 0);
}

const ROWS: { [K in keyof ServiceEnvSettings]-?: Row<ServiceEnvSettings[K]> } = {
  data: { variable: ENV.data, read: (env) => dataEnv(env).data, write: text },
  kv: { variable: ENV.kv, read: (env) => dataEnv(env).kv, write: text },
  kvTimeoutMs: { variable: ENV.kvTimeout, read: kvTimeoutEnv, write: int },
  token: { variable: ENV.token, read: (env) => accessEnv(env).token, write: text },
  protectReads: {
    variable: ENV.protectReads,
    read: (env) => accessEnv(env).protectReads,
    write: flag,
  },
  readOnly: { variable: ENV.readOnly, read: readOnlyEnv, write: flag },
  retention: { variable: ENV.retention, read: retentionEnv, write: retentionText },
  segmentBytes: {
    variable: ENV.segmentBytes,
    read: (env) => sizeEnv(ENV.segmentBytes, env),
    write: int,
  },
  maxBodyBytes: { variable: ENV.maxBody, read: (env) => sizeEnv(ENV.maxBody, env), write: int },
  bodyTimeoutMs: { variable: ENV.bodyTimeout, read: bodyTimeoutEnv, write: int },
  headerTimeoutMs: { variable: ENV.headerTimeout, read: headerTimeoutEnv, write: int },
  maxConnections: { variable: ENV.maxConnections, read: maxConnectionsEnv, write: int },
  maxInflightWrites: { variable: ENV.maxInflightWrites, read: maxInflightWritesEnv, write: int },
  maxLagRecords: { variable: ENV.maxLag, read: maxLagEnv, write: int },
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

/**
 * The variables that make {@linkcode serviceEnv} read `settings` back, every
 * one of them present: an unset setting is `""`, so a value inherited from
 * the parent's environment cannot leak past the settings it was folded into.
 */
export function serviceEnvVars(settings: ServiceEnvSettings): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const key of KEYS) {
    const row = ROWS[key] as Row<ServiceEnvSettings[typeof key]>;
    vars[row.variable] = row.write(settings[key]);
  }
  return vars;
}
