/**
 * Where a command finds its data: `./data` by default, the journal in
 * `<data>/wal`, Deno KV in `<data>/kv.sqlite`; `--data`/`--kv` flags beat the
 * `STEMEDB_DATA`/`STEMEDB_KV` environment variables, which beat the defaults.
 *
 * @module
 */

import { join } from "node:path";
import { Journal, type JournalOptions } from "../wal/mod.ts";
import { KvStore } from "../store/mod.ts";

/** Resolved locations of one data directory. */
export interface DataConfig {
  /** The data directory. */
  dataDir: string;
  /** The journal directory, `<data>/wal`. */
  walDir: string;
  /** Deno KV: a SQLite path (default `<data>/kv.sqlite`) or an http(s) URL. */
  kv: string;
}

/** Flags that override the environment. */
export interface DataFlags {
  /** `--data`. */
  data?: string;
  /** `--kv`. */
  kv?: string;
}

/** Default data directory. */
export const DEFAULT_DATA_DIR = "./data";

/** Resolve flags, then environment, then defaults. */
export function resolveConfig(
  flags: DataFlags,
  env: { get(name: string): string | undefined } = Deno.env,
  defaultDataDir: string = DEFAULT_DATA_DIR,
): DataConfig {
  const dataDir = flags.data || env.get("STEMEDB_DATA") || defaultDataDir;
  const kv = flags.kv || env.get("STEMEDB_KV") || join(dataDir, "kv.sqlite");
  return { dataDir, walDir: join(dataDir, "wal"), kv };
}

/** Whether a KV location is a remote URL rather than a local path. */
export function isRemoteKv(kv: string): boolean {
  return /^https?:\/\//i.test(kv);
}

/**
 * Open the journal. A writer creates the data directory; a reader
 * (`readOnly`) fails clearly when there is no journal yet.
 */
export async function openJournal(
  config: DataConfig,
  options: JournalOptions = {},
): Promise<Journal> {
  if (options.readOnly) {
    if (!await exists(join(config.walDir, "journal.json"))) {
      throw new Error(
        `Cannot open journal "${config.walDir}": no journal there yet (append records first)`,
      );
    }
  } else {
    await Deno.mkdir(config.dataDir, { recursive: true });
  }
  return await Journal.open(config.walDir, options);
}

/** Open the store, creating the directory of a local KV file. */
export async function openStore(config: DataConfig): Promise<KvStore> {
  if (!isRemoteKv(config.kv)) {
    const parent = config.kv.replace(/[\\/][^\\/]*$/, "");
    if (parent !== config.kv && parent !== "") await Deno.mkdir(parent, { recursive: true });
  }
  return await KvStore.open(config.kv);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
