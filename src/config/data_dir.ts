/**
 * Where a command finds its data: `./data` by default, the journal in
 * `<data>/wal`, Deno KV in `<data>/kv.sqlite`; `--data`/`--kv` flags beat the
 * `STEMEDB_DATA`/`STEMEDB_KV` environment variables (read in `env.ts`), which
 * beat the defaults. What a journal directory holds, and creating one, is
 * the log's business: a writer's `Journal.open()` creates the directory and
 * its parents durably, and a reader's fails with `JournalNotFoundError`
 * where nothing was appended yet.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { Journal, type JournalOptions } from "../wal/mod.ts";
import { KvStore } from "../store/mod.ts";
import { dataEnv, type Environment, kvTimeoutEnv } from "./env.ts";

/** Resolved locations of one data directory. */
export interface DataConfig {
  /** The data directory. */
  dataDir: string;
  /** The journal directory, `<data>/wal`. */
  walDir: string;
  /** Deno KV: a SQLite path (default `<data>/kv.sqlite`) or an http(s) URL. */
  kv: string;
  /** Deadline of each call to Deno KV in milliseconds; absent: the store's default. */
  kvTimeoutMs?: number;
}

/** Flags that override the environment. */
export interface DataFlags {
  /** `--data`. */
  data?: string;
  /** `--kv`. */
  kv?: string;
  /** `--kv-timeout`. */
  kvTimeoutMs?: number;
}

/** Default data directory. */
export const DEFAULT_DATA_DIR = "./data";

/** Resolve flags, then environment, then defaults. */
export function resolveConfig(
  flags: DataFlags,
  env: Environment = Deno.env,
  defaultDataDir: string = DEFAULT_DATA_DIR,
): DataConfig {
  const fromEnv = dataEnv(env);
  const dataDir = flags.data || fromEnv.data || defaultDataDir;
  const kv = flags.kv || fromEnv.kv || join(dataDir, "kv.sqlite");
  const kvTimeoutMs = flags.kvTimeoutMs ?? kvTimeoutEnv(env);
  return { dataDir, walDir: join(dataDir, "wal"), kv, ...(kvTimeoutMs ? { kvTimeoutMs } : {}) };
}

/** Whether a KV location is a remote URL rather than a local path. */
export function isRemoteKv(kv: string): boolean {
  return /^https?:\/\//i.test(kv);
}

/**
 * Open the journal of `config`. A writer creates it (and the data directory)
 * where there is none yet.
 *
 * @throws {JournalNotFoundError} If a reader (`readOnly`) finds no journal there.
 */
export async function openJournal(
  config: DataConfig,
  options: JournalOptions = {},
): Promise<Journal> {
  return await Journal.open(config.walDir, options);
}

/** Options of {@linkcode openStore}. */
export interface OpenStoreOptions {
  /**
   * Create the directory of a local KV file when it is missing; a reader
   * that must write nothing says `false`.
   * @default {true}
   */
  create?: boolean;
}

/** Open the store, creating the directory of a local KV file. */
export async function openStore(
  config: DataConfig,
  options: OpenStoreOptions = {},
): Promise<KvStore> {
  if (options.create !== false && !isRemoteKv(config.kv)) {
    await Deno.mkdir(dirname(config.kv), { recursive: true });
  }
  return await KvStore.open(config.kv, { timeoutMs: config.kvTimeoutMs });
}
