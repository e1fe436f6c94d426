/**
 * Journal shards: one data directory may hold several journals feeding one
 * store, so that several writers (the workers of `deno serve --parallel`, or
 * `serve --workers N`) each own one. Shard 0 is the classic journal,
 * `<data>/wal`; shard `n` is `<data>/wal-<n>`. Each is an ordinary journal with
 * its own id, so its cursor in the store is its own: the same "many journals,
 * one KV" design that spans machines, here within one data directory. A
 * writer claims the first shard whose writer lock is free.
 *
 * @module
 */

import { join } from "node:path";
import { type Journal, JournalLockedError, type JournalOptions } from "../wal/mod.ts";
import { type DataConfig, openJournal } from "./data_dir.ts";

/**
 * Most shards one data directory holds: a bound on how far a claim searches,
 * far above any core count a worker per core would ask for.
 */
export const MAX_SHARDS = 256;

const SHARD_NAME = /^wal(?:-([1-9][0-9]*))?$/;

/** One shard of a data directory. */
export interface ShardInfo {
  /** Shard number: 0 for `<data>/wal`, `n` for `<data>/wal-<n>`. */
  index: number;
  /** The shard's journal directory. */
  dir: string;
}

/** A shard claimed by a writer. */
export interface ClaimedShard {
  /** The shard number. */
  index: number;
  /** The shard's journal, open as its one writer. */
  journal: Journal;
}

/** The journal directory of shard `index` of `config`. */
export function shardDir(config: DataConfig, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_SHARDS) {
    throw new RangeError(
      `Cannot name shard ${index}: expected an integer from 0 to ${MAX_SHARDS - 1}`,
    );
  }
  return index === 0 ? config.walDir : `${config.walDir}-${index}`;
}

/** The shards present in the data directory, by number; none when it does not exist. */
export async function listShards(config: DataConfig): Promise<ShardInfo[]> {
  const shards: ShardInfo[] = [];
  try {
    for await (const entry of Deno.readDir(config.dataDir)) {
      const match = SHARD_NAME.exec(entry.name);
      if (!entry.isDirectory || match === null) continue;
      const index = match[1] === undefined ? 0 : Number(match[1]);
      if (index < MAX_SHARDS) shards.push({ index, dir: join(config.dataDir, entry.name) });
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return shards.sort((a, b) => a.index - b.index);
}

/**
 * Open the first shard, from 0 up, whose writer lock is free, as its writer
 * (creating it when it does not exist yet). Writers racing for one shard are
 * told apart by the lock, so each gets a shard of its own.
 *
 * @throws {Error} If all {@linkcode MAX_SHARDS} shards are locked.
 */
export async function claimShard(
  config: DataConfig,
  options: JournalOptions = {},
): Promise<ClaimedShard> {
  for (let index = 0; index < MAX_SHARDS; index++) {
    try {
      const journal = await openJournal({ ...config, walDir: shardDir(config, index) }, options);
      return { index, journal };
    } catch (error) {
      if (error instanceof JournalLockedError) continue;
      throw error;
    }
  }
  throw new Error(
    `Cannot claim a journal shard in "${config.dataDir}": all ${MAX_SHARDS} are locked by other writers`,
  );
}
