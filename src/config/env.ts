/**
 * Every environment variable stemedb reads, read here and nowhere else: the
 * command line and the `deno serve` entry both take their settings from these
 * functions, so one variable means the same thing on every way in. An empty
 * variable counts as unset.
 *
 * @module
 */

import type { CleanupOptions } from "../ingest/mod.ts";
import { parseRetention } from "./retention.ts";

/** Where variables are read from: `Deno.env`, or a map in tests. */
export interface Environment {
  /** The variable's value, `undefined` when unset. */
  get(name: string): string | undefined;
}

/** The variables, by the setting each one gives. */
export const ENV = {
  /** Data directory (default `./data`). */
  data: "STEMEDB_DATA",
  /** Deno KV path or URL (default `<data>/kv.sqlite`). */
  kv: "STEMEDB_KV",
  /** Deadline of each call to Deno KV, in milliseconds (default 30 000). */
  kvTimeout: "STEMEDB_KV_TIMEOUT_MS",
  /** Bearer token required for writes (and reads with protect-reads). */
  token: "STEMEDB_TOKEN",
  /** `1`, `true` or `yes`: reads need the token too. */
  protectReads: "STEMEDB_PROTECT_READS",
  /** Port the command line's `serve`/`start` listen on. */
  port: "STEMEDB_PORT",
  /** The port when `STEMEDB_PORT` is unset: the platform convention. */
  platformPort: "PORT",
  /** Address the command line's `serve`/`start` listen on. */
  hostname: "STEMEDB_HOSTNAME",
  /** `1`, `true` or `yes`: serve reads from the KV alone, opening no journal. */
  readOnly: "STEMEDB_READ_ONLY",
  /** Consumed journal kept: a duration (`7d`) or a size (`1GiB`); default none. */
  retention: "STEMEDB_RETENTION",
  /** Request body limit of the HTTP service, in bytes. */
  maxBody: "STEMEDB_MAX_BODY",
  /** Size at which the service's journal seals a segment, in bytes. */
  segmentBytes: "STEMEDB_SEGMENT_BYTES",
  /** Schedule of `cron.ts`, in cron syntax (default every minute). */
  cron: "STEMEDB_CRON",
  /** Most records the ingestor may be behind before writes answer 429. */
  maxLag: "STEMEDB_MAX_LAG",
  /** Least time between two redraws of a progress bar, in milliseconds (default 100). */
  progressMs: "STEMEDB_PROGRESS_MS",
  /** Longest a request body may take to arrive, in milliseconds, else 408. */
  bodyTimeout: "STEMEDB_BODY_TIMEOUT_MS",
  /** Most write requests in flight at once, more answer 429. */
  maxInflightWrites: "STEMEDB_MAX_INFLIGHT_WRITES",
  /** Longest a request head may take to arrive, in milliseconds, else 408 (`serve`/`start` only). */
  headerTimeout: "STEMEDB_HEADER_TIMEOUT_MS",
  /** Most connections held at once, all workers together (`serve`/`start` only). */
  maxConnections: "STEMEDB_MAX_CONNECTIONS",
} as const;

/** A variable set to a value it cannot mean. */
export class ConfigError extends Error {
  /** The variable's name. */
  readonly variable: string;

  /** An error for `variable`, saying what is wrong with it. */
  constructor(variable: string, message: string) {
    super(message);
    this.name = "ConfigError";
    this.variable = variable;
  }
}

function read(env: Environment, name: string): string | undefined {
  return env.get(name) || undefined;
}

/** An integer variable of at least `min`, `undefined` when unset; else a ConfigError naming it. */
function integerEnv(
  env: Environment,
  name: string,
  { min, unit }: { min: number; unit: string },
): number | undefined {
  const text = read(env, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(
      name,
      `Invalid ${name} "${text}" in the environment: expected ${unit} >= ${min}`,
    );
  }
  return value;
}

function flag(env: Environment, name: string): boolean {
  return /^(1|true|yes)$/i.test(read(env, name) ?? "");
}

/** The data locations the environment names. */
export interface DataEnv {
  /** `STEMEDB_DATA`. */
  data?: string;
  /** `STEMEDB_KV`. */
  kv?: string;
}

/** Read `STEMEDB_DATA` and `STEMEDB_KV`. */
export function dataEnv(env: Environment = Deno.env): DataEnv {
  return { data: read(env, ENV.data), kv: read(env, ENV.kv) };
}

/**
 * The deadline `STEMEDB_KV_TIMEOUT_MS` names, `undefined` when unset.
 *
 * @throws {ConfigError} If it is not an integer of at least 1.
 */
export function kvTimeoutEnv(env: Environment = Deno.env): number | undefined {
  return integerEnv(env, ENV.kvTimeout, { min: 1, unit: "milliseconds" });
}

/** The HTTP service's access settings the environment gives. */
export interface AccessEnv {
  /** `STEMEDB_TOKEN`, `undefined` when unset (no auth). */
  token?: string;
  /** Whether `STEMEDB_PROTECT_READS` is `1`, `true` or `yes`. */
  protectReads: boolean;
}

/** Read `STEMEDB_TOKEN` and `STEMEDB_PROTECT_READS`. */
export function accessEnv(env: Environment = Deno.env): AccessEnv {
  return {
    token: read(env, ENV.token),
    protectReads: flag(env, ENV.protectReads),
  };
}

/**
 * The port `STEMEDB_PORT` (or else `PORT`) names, `undefined` when neither is set.
 *
 * @throws {ConfigError} If it is not an integer from 0 to 65535.
 */
export function portEnv(env: Environment = Deno.env): number | undefined {
  const name = read(env, ENV.port) === undefined ? ENV.platformPort : ENV.port;
  const text = read(env, name);
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(name, `Invalid port "${text}" in the environment: expected 0 to 65535`);
  }
  return port;
}

/** The address `STEMEDB_HOSTNAME` names, `undefined` when unset. */
export function hostnameEnv(env: Environment = Deno.env): string | undefined {
  return read(env, ENV.hostname);
}

/** Whether `STEMEDB_READ_ONLY` is `1`, `true` or `yes`. */
export function readOnlyEnv(env: Environment = Deno.env): boolean {
  return flag(env, ENV.readOnly);
}

/**
 * The retention `STEMEDB_RETENTION` names (see `parseRetention()`), `undefined` when unset.
 *
 * @throws {ConfigError} If it is neither a duration nor a size.
 */
export function retentionEnv(env: Environment = Deno.env): CleanupOptions | undefined {
  const text = read(env, ENV.retention);
  if (text === undefined) return undefined;
  try {
    return parseRetention(text);
  } catch (error) {
    throw new ConfigError(ENV.retention, `${(error as Error).message} in ${ENV.retention}`);
  }
}

/**
 * A positive integer variable (`STEMEDB_MAX_BODY`, `STEMEDB_SEGMENT_BYTES`),
 * `undefined` when unset.
 *
 * @throws {ConfigError} If it is not a positive integer.
 */
export function sizeEnv(
  name: typeof ENV.maxBody | typeof ENV.segmentBytes,
  env: Environment = Deno.env,
): number | undefined {
  return integerEnv(env, name, { min: 1, unit: "bytes" });
}

/** The schedule `STEMEDB_CRON` names, `undefined` when unset. */
export function cronEnv(env: Environment = Deno.env): string | undefined {
  return read(env, ENV.cron);
}

/**
 * The lag limit `STEMEDB_MAX_LAG` names (records), `undefined` when unset.
 *
 * @throws {ConfigError} If it is not an integer of at least 1.
 */
export function maxLagEnv(env: Environment = Deno.env): number | undefined {
  return integerEnv(env, ENV.maxLag, { min: 1, unit: "a number of records" });
}

/**
 * The redraw interval `STEMEDB_PROGRESS_MS` names (milliseconds, 0 redraws on
 * every update), `undefined` when unset.
 *
 * @throws {ConfigError} If it is not an integer of at least 0.
 */
export function progressMsEnv(env: Environment = Deno.env): number | undefined {
  return integerEnv(env, ENV.progressMs, { min: 0, unit: "milliseconds" });
}

/**
 * The body timeout `STEMEDB_BODY_TIMEOUT_MS` names, `undefined` when unset.
 *
 * @throws {ConfigError} If it is not an integer of at least 1.
 */
export function bodyTimeoutEnv(env: Environment = Deno.env): number | undefined {
  return integerEnv(env, ENV.bodyTimeout, { min: 1, unit: "milliseconds" });
}

/**
 * The head deadline `STEMEDB_HEADER_TIMEOUT_MS` names, `undefined` when unset.
 *
 * @throws {ConfigError} If it is not an integer of at least 1.
 */
export function headerTimeoutEnv(env: Environment = Deno.env): number | undefined {
  return integerEnv(env, ENV.headerTimeout, { min: 1, unit: "milliseconds" });
}

/**
 * The connection cap `STEMEDB_MAX_CONNECTIONS` names, `undefined` when unset.
 *
 * @throws {ConfigError} If it is not an integer of at least 1.
 */
export function maxConnectionsEnv(env: Environment = Deno.env): number | undefined {
  return integerEnv(env, ENV.maxConnections, { min: 1, unit: "a number of connections" });
}

/**
 * The cap `STEMEDB_MAX_INFLIGHT_WRITES` names, `undefined` when unset.
 *
 * @throws {ConfigError} If it is not an integer of at least 1.
 */
export function maxInflightWritesEnv(env: Environment = Deno.env): number | undefined {
  return integerEnv(env, ENV.maxInflightWrites, { min: 1, unit: "a number of requests" });
}
