/**
 * Resolving, at commit time, the records whose effect depends on what is
 * already stored: a vote changes the tally only if it beats its voter's
 * winning vote, an epoch is written only if it beats the version stored under
 * its id (`compareVersions`). Such a change is guarded: every commit that
 * changes a resolved key checks, and bumps, the guard of the key's shard, so
 * it applies only if no other commit changed a key of that shard since the
 * guard was read, and the values it read are still current. docs/FORMAT.md
 * section 3.4 gives the proof.
 *
 * @module
 */

import { contentHash, decodeRecord } from "../records/mod.ts";
import type { KeyLayout } from "./keys.ts";
import { GUARD_SHARDS } from "./limits.ts";
import { getManyChunked } from "./_get_many.ts";
import { kvSet } from "./plan.ts";
import { compareVersions, type Version } from "./precedence.ts";
import { TallyDeltas } from "./tally.ts";
import type { KvSet } from "./types.ts";
import type { KvSum, Resolvable, WinnerValue } from "./consensus_types.ts";

/** The guard shard of an assertion hash or epoch id: its first byte, modulo `GUARD_SHARDS`. */
export function shardOf(item: Resolvable): number {
  return shardOfHex(item.kind === "vote" ? item.assertion : item.id);
}

/** The guard shard of the resolved key named `id` (`keyId`). */
export function shardOfKeyId(id: string): number {
  return shardOfHex(id.slice(1, 3));
}

/** The guard shard of a hash or epoch id in hex: its first byte, modulo `GUARD_SHARDS`. */
export function shardOfHex(hex: string): number {
  return parseInt(hex.slice(0, 2), 16) % GUARD_SHARDS;
}

/** The set that bumps a guard's versionstamp. */
export function guardSet(keys: KeyLayout, shard: number, now: number): KvSet {
  return kvSet(keys.guard(shard), now);
}

/**
 * The most a commit's guards cost: a check and a set for every shard. The
 * batch budget holds it back from every commit.
 */
export function guardReserve(keys: KeyLayout): { sets: KvSet[]; checkKeys: Deno.KvKey[] } {
  const shards = Array.from({ length: GUARD_SHARDS }, (_, i) => i);
  return {
    sets: shards.map((shard) => guardSet(keys, shard, Number.MAX_SAFE_INTEGER)),
    checkKeys: shards.map((shard) => keys.guard(shard)),
  };
}

/** What a commit adds for its resolved records: guard checks, sets and tally sums. */
export interface Resolution {
  /** One check per guard of a shard whose keys the commit changes. */
  checks: Deno.AtomicCheck[];
  /** Winner, epoch and guard sets. */
  sets: KvSet[];
  /** Tally deltas. */
  sums: KvSum[];
}

/** What a resolved key holds now: the winning version, and a winning vote's value. */
export type Current = (Version & { value?: number }) | null;

/**
 * The one string that names a resolved key: a voter's winner on an assertion
 * (`v`, the hash, U+0000, the voter), or an epoch (`e`, the id).
 */
export function keyId(item: Resolvable): string {
  // Voters hold no U+0000 (records/validate), so the pair maps to one string.
  return item.kind === "vote" ? `v${item.assertion}\0${item.voter}` : `e${item.id}`;
}

function winnerOf(value: unknown): Current {
  if (value === null) return null;
  const w = value as WinnerValue;
  return { time: w.t, hash: w.h, value: w.v };
}

async function epochOf(id: string, value: unknown): Promise<Current> {
  if (value === null) return null;
  const payload = value as Uint8Array;
  const record = decodeRecord(payload);
  if (record.type !== "epoch") {
    throw new TypeError(`Cannot resolve epoch "${id}": the stored payload is a ${record.type}`);
  }
  return { time: record.value.startTime, hash: await contentHash(payload) };
}

/** Reads the current winner of each of `items` (by key id): `getMany`, 10 keys at a time. */
export async function readCurrent(
  kv: Deno.Kv,
  items: ReadonlyMap<string, Resolvable>,
): Promise<Map<string, Current>> {
  const ids = [...items.keys()];
  const read = await getManyChunked(
    ids.map((id) => items.get(id)!.set.key),
    (chunk) => kv.getMany(chunk, { consistency: "strong" }),
  );
  const out = new Map<string, Current>();
  for (let i = 0; i < ids.length; i++) {
    const item = items.get(ids[i])!;
    const value = read[i].value;
    // Only an epoch needs hashing (async); a winner key holds its version.
    out.set(ids[i], item.kind === "vote" ? winnerOf(value) : await epochOf(item.id, value));
  }
  return out;
}

/**
 * What a commit's resolution was read against: the guard versionstamp of
 * each shard it touches (read first), then the current value of each
 * resolved key it touches.
 */
export interface ResolveState {
  /** Shard → guard versionstamp (`null`: the guard was never written). */
  guards: Map<number, string | null>;
  /** Resolved key id → its current winner. */
  current: Map<string, Current>;
}

/** What a successful commit changed, for the commit after it (`carryOver`). */
export interface Applied {
  /** Versionstamp of the commit. */
  versionstamp: string;
  /** Shards it changed → the guard versionstamp it had checked. */
  guards: Map<number, string | null>;
  /** Resolved key id → the winner it wrote. */
  writes: Map<string, Current>;
}

/** Reads the state `items` are resolved against: the guards first, then the resolved keys. */
export async function readState(
  kv: Deno.Kv,
  keys: KeyLayout,
  items: readonly Resolvable[],
): Promise<ResolveState> {
  const shards = [...new Set(items.map(shardOf))].sort((a, b) => a - b);
  const guards = await kv.getMany(shards.map((s) => keys.guard(s)), { consistency: "strong" });
  const unique = new Map<string, Resolvable>();
  for (const item of items) if (!unique.has(keyId(item))) unique.set(keyId(item), item);
  return {
    guards: new Map(shards.map((s, i) => [s, guards[i].versionstamp])),
    current: await readCurrent(kv, unique),
  };
}

/**
 * A state read while the commit before was in flight, brought up to date with
 * what that commit (`applied`) wrote, or `null` when it cannot be: a guard
 * that reads neither as the commit found it nor as the commit left it means
 * another writer changed that shard in between, so read again.
 */
export function carryOver(state: ResolveState, applied: Applied): ResolveState | null {
  const guards = new Map(state.guards);
  for (const [shard, before] of applied.guards) {
    if (!guards.has(shard)) continue;
    const read = guards.get(shard);
    // Read after the commit landed, or before it with nothing else between: current once
    // the commit's own writes are laid over it.
    if (read !== applied.versionstamp && read !== before) return null;
    guards.set(shard, applied.versionstamp);
  }
  const current = new Map(state.current);
  for (const [id, winner] of applied.writes) if (current.has(id)) current.set(id, winner);
  return { guards, current };
}

/**
 * The mutations that apply `items` (in journal order) on top of `state`:
 * winners that change, their tally deltas, and a check and a bump of the
 * guard of every shard they change; and what it writes, for `carryOver`.
 */
export function resolve(
  keys: KeyLayout,
  state: ResolveState,
  items: readonly Resolvable[],
): { resolution: Resolution; applied: Omit<Applied, "versionstamp"> } {
  const current = new Map(state.current);
  const winners = new Map<string, Resolvable>();
  const writes = new Map<string, Current>();
  const changed = new Set<number>();
  const deltas = new TallyDeltas();
  for (const item of items) {
    const id = keyId(item);
    const cur = current.get(id)!;
    // A version that does not beat the stored one changes nothing: replays and losers.
    if (cur !== null && compareVersions(item, cur) <= 0) continue;
    if (item.kind === "vote") {
      if (cur !== null) deltas.add(item.assertion, cur.value!, -1);
      deltas.add(item.assertion, item.value, 1);
    }
    const next = { time: item.time, hash: item.hash, value: (item as { value?: number }).value };
    current.set(id, next);
    writes.set(id, next);
    winners.set(id, item);
    changed.add(shardOf(item));
  }
  const now = Date.now();
  const checks: Deno.AtomicCheck[] = [];
  const sets: KvSet[] = [...winners.values()].map((item) => item.set);
  const guards = new Map<number, string | null>();
  for (const [shard, versionstamp] of state.guards) {
    if (!changed.has(shard)) continue;
    checks.push({ key: keys.guard(shard), versionstamp });
    sets.push(guardSet(keys, shard, now));
    guards.set(shard, versionstamp);
  }
  return { resolution: { checks, sets, sums: deltas.sums(keys) }, applied: { guards, writes } };
}

/** Reads the state `items` resolve against and resolves them (`readState`, then `resolve`). */
export async function resolveCommit(
  kv: Deno.Kv,
  keys: KeyLayout,
  items: readonly Resolvable[],
): Promise<Resolution> {
  if (items.length === 0) return { checks: [], sets: [], sums: [] };
  return resolve(keys, await readState(kv, keys, items), items).resolution;
}
