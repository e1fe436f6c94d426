/**
 * Every environment variable stemedb reads, read here and nowhere else: the
 * command line and the `deno serve` entry both take their settings from these
 * functions, so one variable means the same thing on every way in. An empty
 * variable counts as unset.
 *
 * @module
 */

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
  const text = read(env, ENV.kvTimeout);
  if (text === undefined) return undefined;
  const ms = Number(text);
  if (!Number.isSafeInteger(ms) || ms < 1) {
    throw new ConfigError(
      ENV.kvTimeout,
      `Invalid Deno KV timeout "${text}" in the environment: expected milliseconds >= 1`,
    );
  }
  return ms;
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
    protectReads: /^(1|true|yes)$/i.test(read(env, ENV.protectReads) ?? ""),
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
