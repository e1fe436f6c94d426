/**
 * What a store's commits resolve against, kept in process between commits:
 * the winners (and epoch versions) read or written, per guard shard, with the
 * guard versionstamp they are current at. A commit built on the cache checks
 * those guards like any commit (docs/FORMAT.md section 3.4), so a cache made
 * stale by another writer costs a failed check and a re-read, never a wrong
 * tally; while nobody else writes a shard, its winners are not read again.
 *
 * A shard is `complete` when the cache knows every resolved key in it: the
 * store held no winner and no epoch when the guards were read, and every
 * change since went through this cache. A key missing from a complete shard
 * is absent, without a read: a fresh store is ingested without winner reads.
 *
 * @module
 */

import type { KeyLayout } from "./keys.ts";
import { GUARD_SHARDS } from "./limits.ts";
import type { KvStore } from "./kv_store.ts";
import {
  type Applied,
  type Current,
  keyId,
  readCurrent,
  type ResolveState,
  shardOf,
  shardOfKeyId,
} from "./resolve.ts";
import type { Resolvable } from "./consensus_types.ts";

/**
 * Most winners kept, over all shards; the least recently used go first. About
 * 200 bytes each, so the cache stays within a few tens of MiB.
 */
export const MAX_CACHED_WINNERS = 131_072;

/** What the cache knows of one guard shard. */
interface Shard {
  /** The guard's versionstamp the entries are current at (`null`: never written). */
  guard: string | null;
  /** Every resolved key of the shard is in the cache: a missing one is absent. */
  complete: boolean;
  /** Bumped when the shard is dropped: entries of an older generation are void. */
  generation: number;
  /** Bumped when a commit's writes are laid over: a read begun before may not be kept. */
  changes: number;
}

interface Entry {
  shard: number;
  generation: number;
  current: Current;
}

/** A store's resolve cache; `cacheOf(kv)` gives the one every commit builder of a KV shares. */
export class WinnerCache {
  #shards = new Map<number, Shard>();
  /** Key id → winner, least recently used first. */
  #entries = new Map<string, Entry>();
  #limit: number;
  #nextGeneration = 1;
  /** The first reading of the guards, once started. */
  #first: Promise<void> | null = null;
  /** Bumped by `clear()`: a reading begun before it is not kept. */
  #resets = 0;

  /** A cache of at most `limit` winners. */
  constructor(limit = MAX_CACHED_WINNERS) {
    this.#limit = limit;
  }

  /** Winners kept (for tests and figures). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The state `items` resolve against: cached guards and winners, and only
   * what the cache does not know read from the KV (guards first, then the
   * winners, so a read is never older than the guard it is checked with).
   */
  async readState(
    kv: Deno.Kv,
    keys: KeyLayout,
    items: readonly Resolvable[],
  ): Promise<ResolveState> {
    const shardIds = [...new Set(items.map(shardOf))].sort((a, b) => a - b);
    // What is known of each shard, as of one moment: nothing below awaits before using it.
    const known = await this.#knowGuards(kv, keys, shardIds);
    const seen = new Map<number, { shard: Shard; changes: number }>();
    const guards = new Map<number, string | null>();
    for (const [id, shard] of known) {
      guards.set(id, shard.guard);
      seen.set(id, { shard, changes: shard.changes });
    }
    const current = new Map<string, Current>();
    const missing = new Map<string, Resolvable>();
    for (const item of items) {
      const id = keyId(item);
      if (current.has(id) || missing.has(id)) continue;
      const shard = known.get(shardOf(item))!;
      const entry = this.#entries.get(id);
      if (entry !== undefined && entry.generation === shard.generation) {
        // Most recently used last.
        this.#entries.delete(id);
        this.#entries.set(id, entry);
        current.set(id, entry.current);
      } else if (shard.complete) {
        current.set(id, null);
      } else {
        missing.set(id, item);
      }
    }
    if (missing.size === 0) return { guards, current };
    for (const [id, winner] of await readCurrent(kv, missing)) {
      current.set(id, winner);
      const shardId = shardOfKeyId(id);
      const before = seen.get(shardId)!;
      // Kept only if nothing changed what the cache knows of the shard while it was read.
      if (this.#shards.get(shardId) === before.shard && before.shard.changes === before.changes) {
        this.#put(id, { shard: shardId, generation: before.shard.generation, current: winner });
      }
    }
    return { guards, current };
  }

  /**
   * After a commit that landed: its writes become the cached winners of each
   * shard it changed, current at its versionstamp; a shard whose cache had
   * moved from what the commit checked is dropped instead.
   */
  applied(applied: Applied): void {
    const laid = new Set<number>();
    for (const [id, checked] of applied.guards) {
      const shard = this.#shards.get(id);
      if (shard === undefined || shard.guard !== checked) {
        this.#shards.delete(id);
        continue;
      }
      shard.guard = applied.versionstamp;
      shard.changes++;
      laid.add(id);
    }
    for (const [id, winner] of applied.writes) {
      const shardId = shardOfKeyId(id);
      if (!laid.has(shardId)) continue;
      const generation = this.#shards.get(shardId)!.generation;
      this.#put(id, { shard: shardId, generation, current: winner });
    }
  }

  /** Forget what is known of `shards` (their guards are read again). */
  drop(shards: Iterable<number>): void {
    // Their entries stay until evicted, void: a shard known again has a new generation.
    for (const id of shards) this.#shards.delete(id);
  }

  /** Forget everything: after an outcome that leaves what landed unknown. */
  clear(): void {
    this.#shards.clear();
    this.#entries.clear();
    this.#first = null;
    this.#resets++;
  }

  /**
   * What is known of each of `shardIds`, reading the guards not known yet.
   * The first call reads every guard, then whether the store holds any
   * winner or epoch at all; calls made meanwhile wait for it.
   */
  async #knowGuards(
    kv: Deno.Kv,
    keys: KeyLayout,
    shardIds: number[],
  ): Promise<Map<number, Shard>> {
    if (this.#first === null) {
      const all = Array.from({ length: GUARD_SHARDS }, (_, i) => i);
      const first = this.#learn(kv, keys, { shards: all, empty: true });
      this.#first = first;
      // A failed first read is made again by the next call.
      first.catch(() => {
        if (this.#first === first) this.#first = null;
      });
    }
    await this.#first;
    const unknown = shardIds.filter((id) => !this.#shards.has(id));
    // Dropped shards: read again (two calls may both read one; either reading is valid).
    if (unknown.length > 0) await this.#learn(kv, keys, { shards: unknown, empty: false });
    const known = new Map<number, Shard>();
    for (const id of shardIds) {
      const shard = this.#shards.get(id);
      if (shard === undefined) return await this.#knowGuards(kv, keys, shardIds);
      known.set(id, shard);
    }
    return known;
  }

  /** Reads the guards of `at.shards`; with `at.empty`, then whether the store holds no winner. */
  async #learn(kv: Deno.Kv, keys: KeyLayout, at: { shards: number[]; empty: boolean }) {
    const resets = this.#resets;
    const read = await kv.getMany(at.shards.map((id) => keys.guard(id)), {
      consistency: "strong",
    });
    // Listed after the guards were read: if they are unchanged at commit, so is the emptiness.
    const empty = at.empty && await isEmpty(kv, [keys.winners(), keys.epochs()]);
    // Cleared meanwhile: what was read is still valid, but the first call will read it again.
    if (resets !== this.#resets) return;
    at.shards.forEach((id, i) => {
      if (this.#shards.has(id)) return;
      this.#shards.set(id, {
        guard: read[i].versionstamp,
        complete: empty,
        generation: this.#nextGeneration++,
        changes: 0,
      });
    });
  }

  #put(id: string, entry: Entry): void {
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    if (this.#entries.size <= this.#limit) return;
    const [oldest, evicted] = this.#entries.entries().next().value!;
    this.#entries.delete(oldest);
    // A shard that lost an entry no longer knows every key in it.
    const shard = this.#shards.get(evicted.shard);
    if (shard !== undefined && shard.generation === evicted.generation) shard.complete = false;
  }
}

async function isEmpty(kv: Deno.Kv, prefixes: Deno.KvKey[]): Promise<boolean> {
  for (const prefix of prefixes) {
    for await (const _ of kv.list({ prefix }, { limit: 1, consistency: "strong" })) return false;
  }
  return true;
}

const caches = new WeakMap<KvStore, WinnerCache>();

/**
 * The cache of `store`, shared by every commit builder on it (and so by the
 * ingestor's passes); one per store, as its prefix names its keys.
 */
export function cacheOf(store: KvStore): WinnerCache {
  let cache = caches.get(store);
  if (cache === undefined) {
    cache = new WinnerCache();
    caches.set(store, cache);
  }
  return cache;
}
