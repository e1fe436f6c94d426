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
 * Below the shard, an assertion is complete when its winner count read 0:
 * it held no winner, and every one written since is a commit of this cache's
 * (FORMAT.md section 3.4, proof step 7). Into a store that holds winners,
 * each assertion voted on is counted once, and a voter's winner is read only
 * on an assertion that held winners when first met.
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
  shardOfHex,
  shardOfKeyId,
} from "./resolve.ts";
import { readWinnerCounts } from "./tally.ts";
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
  /** Bumped when an entry of this generation is evicted: see `#completeAfterRead`. */
  evictions: number;
}

/** A shard as a reading found it, to tell whether what was read may be kept. */
interface Seen {
  shard: Shard;
  changes: number;
  evictions: number;
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
  /**
   * Assertion → the generation of its shard in which the cache knows every
   * winner of it (it held none when read), least recently used first.
   */
  #complete = new Map<string, number>();
  /** Assertions known to hold a winner: their winner count is not read. */
  #withWinners = new Set<string>();
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
   * what the cache does not know read from the KV (guards first, then winner
   * counts, then winners, so a read is never older than the guard it is
   * checked with).
   */
  async readState(
    kv: Deno.Kv,
    keys: KeyLayout,
    items: readonly Resolvable[],
  ): Promise<ResolveState> {
    const shardIds = [...new Set(items.map(shardOf))].sort((a, b) => a - b);
    // What is known of each shard, as of one moment: nothing below awaits before using it.
    const known = await this.#knowGuards(kv, keys, shardIds);
    const seen = new Map<number, Seen>();
    const guards = new Map<number, string | null>();
    for (const [id, shard] of known) {
      guards.set(id, shard.guard);
      seen.set(id, { shard, changes: shard.changes, evictions: shard.evictions });
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
      } else if (shard.complete || this.#knowsAll(item, shard)) {
        current.set(id, null);
      } else {
        missing.set(id, item);
      }
    }
    if (missing.size > 0) await this.#readMissing(kv, keys, { missing, current, seen });
    return { guards, current };
  }

  /**
   * Reads what `at.missing` holds into `at.current`: for each assertion not
   * known to hold a winner, its winner count first, and a voter's winner only
   * on an assertion that holds one (the others' are absent, with no read);
   * winners of assertions known to hold one, and epochs, meanwhile.
   */
  async #readMissing(
    kv: Deno.Kv,
    keys: KeyLayout,
    at: {
      missing: Map<string, Resolvable>;
      current: Map<string, Current>;
      seen: Map<number, Seen>;
    },
  ): Promise<void> {
    const now = new Map<string, Resolvable>();
    const byAssertion = new Map<string, Map<string, Resolvable>>();
    for (const [id, item] of at.missing) {
      if (item.kind === "epoch" || this.#withWinners.has(item.assertion)) {
        now.set(id, item);
        continue;
      }
      let ids = byAssertion.get(item.assertion);
      if (ids === undefined) byAssertion.set(item.assertion, ids = new Map());
      ids.set(id, item);
    }
    const counted = async () => {
      if (byAssertion.size === 0) return;
      const counts = await readWinnerCounts(kv, keys, [...byAssertion.keys()]);
      const later = new Map<string, Resolvable>();
      for (const [assertion, ids] of byAssertion) {
        if (counts.get(assertion)! > 0) {
          this.#noteWinners(assertion);
          for (const [id, item] of ids) later.set(id, item);
          continue;
        }
        for (const id of ids.keys()) at.current.set(id, null);
        this.#completeAfterRead(assertion, at.seen);
      }
      if (later.size > 0) await this.#readWinners(kv, later, at);
    };
    await Promise.all([now.size > 0 ? this.#readWinners(kv, now, at) : null, counted()]);
  }

  /** Reads the winners (or epochs) of `items` into `at.current`, keeping what stayed current. */
  async #readWinners(
    kv: Deno.Kv,
    items: Map<string, Resolvable>,
    at: { current: Map<string, Current>; seen: Map<number, Seen> },
  ): Promise<void> {
    for (const [id, winner] of await readCurrent(kv, items)) {
      at.current.set(id, winner);
      const shardId = shardOfKeyId(id);
      const before = at.seen.get(shardId)!;
      if (this.#unchanged(shardId, before)) {
        this.#put(id, { shard: shardId, generation: before.shard.generation, current: winner });
      }
    }
  }

  /**
   * Nothing changed what the cache knows of the shard while it was read (no
   * commit's writes laid over, not dropped): what was read may be kept.
   */
  #unchanged(shardId: number, before: Seen): boolean {
    return this.#shards.get(shardId) === before.shard && before.shard.changes === before.changes;
  }

  /** Whether the cache knows every winner of `item`'s assertion in `shard`'s generation. */
  #knowsAll(item: Resolvable, shard: Shard): boolean {
    if (item.kind !== "vote") return false;
    const generation = this.#complete.get(item.assertion);
    if (generation !== shard.generation) return false;
    // Most recently used last.
    this.#complete.delete(item.assertion);
    this.#complete.set(item.assertion, generation);
    return true;
  }

  /**
   * `assertion` held no winner when its count was read (after its shard's
   * guard): every winner written since is one of this cache's commits, laid
   * over, so the cache knows them all as long as what it knows of the shard
   * stays and none of them is evicted. Writes laid over while it was read do
   * not void it (they are winners the cache holds), but an eviction does: the
   * evicted winner might be the assertion's, and would be taken for absent.
   */
  #completeAfterRead(assertion: string, seen: Map<number, Seen>): void {
    const shardId = shardOfHex(assertion);
    const before = seen.get(shardId)!;
    if (this.#shards.get(shardId) !== before.shard) return;
    if (before.shard.evictions !== before.evictions) return;
    this.#complete.delete(assertion);
    this.#complete.set(assertion, before.shard.generation);
    if (this.#complete.size > this.#limit) {
      this.#complete.delete(this.#complete.keys().next().value!);
    }
  }

  /** `assertion` holds a winner: it always will (winners are replaced, never removed). */
  #noteWinners(assertion: string): void {
    this.#withWinners.add(assertion);
    if (this.#withWinners.size > this.#limit) {
      this.#withWinners.delete(this.#withWinners.values().next().value!);
    }
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
      if (id.startsWith("v")) this.#noteWinners(id.slice(1, id.indexOf("\0")));
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
    this.#complete.clear();
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
        evictions: 0,
      });
    });
  }

  #put(id: string, entry: Entry): void {
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    if (this.#entries.size <= this.#limit) return;
    const [oldest, evicted] = this.#entries.entries().next().value!;
    this.#entries.delete(oldest);
    // A shard or an assertion that lost an entry no longer knows every key in it.
    const shard = this.#shards.get(evicted.shard);
    if (shard !== undefined && shard.generation === evicted.generation) {
      shard.complete = false;
      shard.evictions++;
    }
    if (oldest.startsWith("v")) {
      const assertion = oldest.slice(1, oldest.indexOf("\0"));
      if (this.#complete.get(assertion) === evicted.generation) this.#complete.delete(assertion);
    }
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
