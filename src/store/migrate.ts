/**
 * Migrating a store to `LAYOUT_VERSION`: from layout 1 (written before
 * versions were kept), build each voter's winner key and each assertion's
 * tally counters from the votes stored under `V`. Idempotent (every key it
 * writes is computed from the votes alone and written whole, never summed)
 * and resumable (its progress is committed with the keys of each assertion
 * it finishes, and a rerun starts after it). Stop every ingestor first: the
 * store refuses to open until the migration is done, but an ingestor of an
 * earlier version would not know to stop.
 *
 * @module
 */

import { decodeRecord } from "../records/mod.ts";
import { addCost, type CommitCost, commitCost } from "./commit.ts";
import { type DeadlineOptions, DEFAULT_KV_TIMEOUT_MS, withDeadline } from "./deadline.ts";
import { kvTarget } from "./kv_errors.ts";
import { openKv } from "./open_kv.ts";
import { requireUnstable } from "./unstable.ts";
import { KeyLayout } from "./keys.ts";
import { LAYOUT_VERSION, readLayout, StoreLayoutError } from "./layout.ts";
import { MAX_COMMIT_BYTES, MAX_LIST_BATCH, MAX_MUTATIONS, MAX_TOTAL_KEY_BYTES } from "./limits.ts";
import { kvSet } from "./plan.ts";
import { compareVersions } from "./precedence.ts";
import { TallyDeltas } from "./tally.ts";
import type { KvSet } from "./types.ts";
import type { KvSum, WinnerValue } from "./consensus_types.ts";

/**
 * Where a migration stands, as committed under `[...p, "_meta", "migration"]`
 * and passed to `onProgress`.
 *
 * @example Watch a migration's progress
 * ```ts
 * import type { MigrationProgress } from "@stemedb/ingest/store";
 *
 * const onProgress = (p: MigrationProgress) => console.log(`${p.assertions} assertions`);
 * onProgress({ to: 2, after: null, assertions: 0, votes: 0 });
 * ```
 */
export interface MigrationProgress {
  /** The layout version being migrated to. */
  to: number;
  /** The last assertion whose winners and tally are written (`null`: none yet). */
  after: string | null;
  /** Assertions done so far. */
  assertions: number;
  /** Votes read so far. */
  votes: number;
}

/**
 * Options of `migrateStore()`.
 *
 * @example Migrate a store under a prefix
 * ```ts
 * import { migrateStore, type MigrateOptions } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * const options: MigrateOptions = { prefix: ["tenant-1"] };
 * assert.equal((await migrateStore(kv, options)).migrated, false);
 * kv.close();
 * ```
 */
export interface MigrateOptions {
  /**
   * Key prefix of the store.
   *
   * @default {[]}
   */
  prefix?: Deno.KvKey;
  /** Called after each commit of progress. @default {undefined} */
  onProgress?: (progress: MigrationProgress) => void;
  /** Stops the migration between assertions (what is committed stays). @default {undefined} */
  signal?: AbortSignal;
  /**
   * Deadline of every call to the KV, opening included, in milliseconds, as
   * for `KvStore.open`: a call past it rejects with `KvTimeoutError`, and the
   * migration, resumable, can be run again. `Infinity` waits forever.
   *
   * @default {DEFAULT_KV_TIMEOUT_MS} (30 000)
   */
  timeoutMs?: number;
}

/**
 * What `migrateStore()` did.
 *
 * @example Migrate a store written before tallies were kept, then again
 * ```ts
 * import { KvStore, migrateStore, type MigrateReport } from "@stemedb/ingest/store";
 * import { contentHash, serializeVote } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * const assertion = "ab".repeat(32);
 * const payload = serializeVote({ assertion, voter: "ann", value: 1, timestamp: 0 });
 * await kv.set(["V", assertion, await contentHash(payload)], payload); // as layout 1 stored it
 * const report: MigrateReport = await migrateStore(kv);
 * assert.deepEqual([report.from, report.to, report.votes], [1, 2, 1]);
 * assert.equal((await migrateStore(kv)).migrated, false);
 * const store = await KvStore.open(kv);
 * assert.equal((await store.tally(assertion)).up, 1);
 * store.close();
 * kv.close();
 * ```
 */
export interface MigrateReport {
  /** Layout found (`null`: an empty store, nothing to migrate). */
  from: number | null;
  /** Layout now. */
  to: number;
  /** Whether anything was migrated (false when the store was already current or empty). */
  migrated: boolean;
  /** Whether a migration stopped earlier was resumed. */
  resumed: boolean;
  /** Assertions whose winners and tallies were built. */
  assertions: number;
  /** Votes read. */
  votes: number;
}

/** Calls to the KV a migration makes, each bounded by the deadline. */
type Call = <T>(operation: string, fn: (kv: Deno.Kv) => Promise<T>) => Promise<T>;

/** Collects one assertion's mutations into commits that fit Deno KV's limits. */
class MigrationWriter {
  #call: Call;
  #keys: KeyLayout;
  #sets: KvSet[] = [];
  #counters: KvSum[] = [];
  #used: CommitCost = { mutations: 0, bytes: 0, keyBytes: 0 };
  #limits: CommitCost;

  constructor(call: Call, keys: KeyLayout, progressCost: CommitCost) {
    this.#call = call;
    this.#keys = keys;
    // Room for the progress set that ends an assertion's last commit, and a margin.
    this.#limits = {
      mutations: MAX_MUTATIONS - progressCost.mutations,
      bytes: Math.floor((MAX_COMMIT_BYTES - progressCost.bytes) * 0.98),
      keyBytes: Math.floor((MAX_TOTAL_KEY_BYTES - progressCost.keyBytes) * 0.98),
    };
  }

  async add(mutation: KvSet | KvSum): Promise<void> {
    const cost = commitCost([mutation]);
    const next = addCost(this.#used, cost);
    const l = this.#limits;
    if (next.mutations > l.mutations || next.bytes > l.bytes || next.keyBytes > l.keyBytes) {
      await this.flush();
    }
    if ("sum" in mutation) this.#counters.push(mutation);
    else this.#sets.push(mutation);
    this.#used = addCost(this.#used, cost);
  }

  /** Commits what is collected, with `progress` when given. */
  async flush(progress?: MigrationProgress): Promise<void> {
    if (this.#sets.length + this.#counters.length > 0 || progress !== undefined) {
      const result = await this.#call("migrate", (kv) => {
        const op = kv.atomic();
        for (const s of this.#sets) op.set(s.key, s.value);
        // Whole values, not sums: a rerun writes the same counters again.
        for (const c of this.#counters) op.set(c.key, new Deno.KvU64(c.sum));
        if (progress !== undefined) op.set(this.#keys.migration(), progress);
        return op.commit();
      });
      if (!result.ok) throw new Error("Cannot migrate store: a commit without checks failed");
    }
    this.#sets = [];
    this.#counters = [];
    this.#used = { mutations: 0, bytes: 0, keyBytes: 0 };
  }
}

/** Each voter's winning vote among an assertion's stored votes. */
class Winners {
  readonly assertion: string;
  #byVoter = new Map<string, WinnerValue>();

  constructor(assertion: string) {
    this.assertion = assertion;
  }

  add(voter: string, vote: WinnerValue): void {
    const held = this.#byVoter.get(voter);
    const beats = held === undefined ||
      compareVersions({ time: vote.t, hash: vote.h }, { time: held.t, hash: held.h }) > 0;
    if (beats) this.#byVoter.set(voter, vote);
  }

  async write(writer: MigrationWriter, keys: KeyLayout): Promise<void> {
    const tally = new TallyDeltas();
    for (const [voter, winner] of this.#byVoter) {
      await writer.add(kvSet(keys.winner(this.assertion, voter), winner));
      tally.add(this.assertion, winner.v, 1);
    }
    for (const counter of tally.totals(keys)) await writer.add(counter);
  }
}

/**
 * Migrates the store under `options.prefix` to `LAYOUT_VERSION`; does
 * nothing to a store already current or empty. A string is a local path or
 * an http(s) URL, opened (and closed at the end) as `KvStore.open` opens it;
 * an opened `Deno.Kv` is used as is and left open. Every call to the KV is
 * bounded by `options.timeoutMs`.
 *
 * @throws {StoreLayoutError} If the store is newer than this code.
 * @throws {KvTimeoutError} If a call to the KV, opening included, did not succeed within the deadline.
 * @throws {KvAuthError} If the remote refuses the access token.
 * @throws {RangeError} If the timeout is not positive.
 * @throws {DOMException} `signal.reason` when stopped; run it again to resume.
 */
export async function migrateStore(
  pathOrUrlOrKv: string | Deno.Kv,
  options: MigrateOptions = {},
): Promise<MigrateReport> {
  const keys = new KeyLayout(options.prefix ?? []);
  const timeoutMs = options.timeoutMs ?? DEFAULT_KV_TIMEOUT_MS;
  if (!(timeoutMs > 0)) {
    throw new RangeError(`Cannot migrate store: timeoutMs must be > 0, got ${timeoutMs}`);
  }
  if (typeof pathOrUrlOrKv !== "string") {
    return await migrate(pathOrUrlOrKv, keys, { ...options, target: "<Deno.Kv>", timeoutMs });
  }
  requireUnstable("kv", "Cannot migrate store");
  if (pathOrUrlOrKv.length === 0) throw new TypeError("Cannot migrate store: path or URL is empty");
  const target = kvTarget(pathOrUrlOrKv);
  const kv = await openKv(pathOrUrlOrKv, { target, timeoutMs });
  try {
    return await migrate(kv, keys, { ...options, target, timeoutMs });
  } finally {
    kv.close();
  }
}

async function migrate(
  kv: Deno.Kv,
  keys: KeyLayout,
  options: MigrateOptions & Omit<DeadlineOptions, "operation">,
): Promise<MigrateReport> {
  const at = { target: options.target, timeoutMs: options.timeoutMs };
  const call: Call = (operation, fn) => withDeadline(() => fn(kv), { ...at, operation });
  const saved = await call(
    "readLayout",
    (kv) => kv.get<MigrationProgress>(keys.migration(), { consistency: "strong" }),
  );
  const from = saved.value === null ? await call("readLayout", (kv) => readLayout(kv, keys)) : 1;
  if (from !== null && from > LAYOUT_VERSION) throw new StoreLayoutError("newer", from);
  const report: MigrateReport = {
    from,
    to: LAYOUT_VERSION,
    migrated: false,
    resumed: saved.value !== null,
    assertions: 0,
    votes: 0,
  };
  // An empty store needs nothing: its first commit records the layout.
  if (from === LAYOUT_VERSION || from === null) return report;
  const progress: MigrationProgress = saved.value ??
    { to: LAYOUT_VERSION, after: null, assertions: 0, votes: 0 };
  const progressCost = commitCost([
    kvSet(keys.migration(), { ...progress, after: "f".repeat(64), votes: Number.MAX_SAFE_INTEGER }),
  ]);
  const writer = new MigrationWriter(call, keys, progressCost);
  const finish = async (winners: Winners) => {
    await winners.write(writer, keys);
    progress.after = winners.assertion;
    progress.assertions++;
    await writer.flush({ ...progress });
    options.onProgress?.({ ...progress });
  };
  // After the last finished assertion: "\0" sorts after every vote key of it, and before the next.
  const selector = progress.after === null
    ? { prefix: keys.allVotes() }
    : { prefix: keys.allVotes(), start: [...keys.allVotes(), `${progress.after}\0`] };
  let current = null as Winners | null;
  const votes = kv.list<Uint8Array>(selector, { batchSize: MAX_LIST_BATCH });
  while (true) {
    // Each step may fetch the next batch: bounded like any call.
    const step = await call("listVotes", () => votes.next());
    if (step.done) break;
    const entry = step.value;
    const assertion = String(entry.key[entry.key.length - 2]);
    if (current?.assertion !== assertion) {
      if (current !== null) await finish(current);
      options.signal?.throwIfAborted();
      current = new Winners(assertion);
    }
    const record = decodeRecord(entry.value);
    if (record.type !== "vote") {
      throw new TypeError(
        `Cannot migrate vote at ${
          JSON.stringify(entry.key)
        }: the stored payload is a ${record.type}`,
      );
    }
    const { voter, value, timestamp } = record.value;
    current.add(voter, { t: timestamp, h: String(entry.key[entry.key.length - 1]), v: value });
    progress.votes++;
  }
  if (current !== null) await finish(current);
  const done = await call(
    "migrate",
    (kv) => kv.atomic().set(keys.layout(), LAYOUT_VERSION).delete(keys.migration()).commit(),
  );
  if (!done.ok) throw new Error("Cannot migrate store: the final commit failed");
  return { ...report, migrated: true, assertions: progress.assertions, votes: progress.votes };
}
