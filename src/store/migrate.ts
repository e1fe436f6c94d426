/**
 * Migrating a store to `LAYOUT_VERSION` (3): every key whose content hashes
 * an earlier layout wrote as 64 hex characters moves to the same key with
 * those parts as their 32 bytes (`_rekey.ts`); a store of layout 1 (written
 * before versions were kept) then gets, built from its records alone, its
 * index entries, winners and tallies (`_rebuild.ts`). Idempotent (every key
 * written is a function of what is stored, counters written whole) and
 * resumable (its progress is committed as it goes, and a rerun goes on from
 * it). Stop every ingestor first: the store refuses to open until the
 * migration is done, but an ingestor of an earlier version would not know to
 * stop.
 *
 * @module
 */

import { type DeadlineOptions, DEFAULT_KV_TIMEOUT_MS, withDeadline } from "./deadline.ts";
import { kvTarget } from "./kv_errors.ts";
import { openKv } from "./open_kv.ts";
import { requireUnstable } from "./unstable.ts";
import { KeyLayout } from "./keys.ts";
import { LAYOUT_VERSION, readLayout, StoreLayoutError } from "./layout.ts";
import { type MigrationCall, MigrationWriter } from "./_migration_writer.ts";
import { rebuild, type RebuildProgress } from "./_rebuild.ts";
import { countOldKeys, countVotes, rekey } from "./_rekey.ts";

/**
 * Where a migration stands, as committed under `[...p, "_meta", "migration"]`
 * and passed to `onProgress`.
 *
 * @example Watch a migration's progress
 * ```ts
 * import type { MigrationProgress } from "@stemedb/ingest/store";
 *
 * const onProgress = (p: MigrationProgress) => console.log(`${p.assertions} assertions`);
 * onProgress({ to: 3, from: 2, step: "rekey", after: null, assertions: 0, votes: 0, moved: 0 });
 * ```
 */
export interface MigrationProgress {
  /** The layout version being migrated to. */
  to: number;
  /**
   * The layout migrated from; a migration started by a version that kept
   * none was from layout 1.
   *
   * @default {1}
   */
  from?: number;
  /**
   * What is being done: `rekey` (moving keys to byte hashes), then, from
   * layout 1, `assertions` (their index entries) and `votes` (history,
   * winners, tallies).
   *
   * @default {"rekey"}
   */
  step?: "rekey" | "assertions" | "votes";
  /** The last assertion finished in the step (`null`: none yet). */
  after: string | null;
  /** Assertions done so far. */
  assertions: number;
  /** Votes read so far. */
  votes: number;
  /**
   * Keys moved to layout 3 so far.
   *
   * @default {0}
   */
  moved?: number;
  /**
   * With `countFirst`: the keys to move and votes to read of the whole run,
   * which `moved + votes` reaches when it is done (not committed).
   */
  total?: number;
  /**
   * When the run resumes a stopped one: what `moved + votes` stood at when
   * it started, the earlier runs' work (not committed).
   */
  resumedFrom?: number;
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
  /**
   * Count the work first (listing the keys to move and, from layout 1, the
   * votes to read: no decoding, no writes), and pass it as `total` to
   * `onProgress`, for a progress bar with an ETA.
   *
   * @default {false}
   */
  countFirst?: boolean;
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
 * assert.deepEqual([report.from, report.to, report.votes], [1, 3, 1]);
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
  /** Assertions whose index entries, winners and tallies were built (from layout 1). */
  assertions: number;
  /** Votes read to build them. */
  votes: number;
  /** Keys moved to byte hashes (from layout 1 or 2). */
  moved: number;
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
  const call: MigrationCall = (operation, fn) => withDeadline(() => fn(kv), { ...at, operation });
  const saved = await call(
    "readLayout",
    (kv) => kv.get<MigrationProgress>(keys.migration(), { consistency: "strong" }),
  );
  const from = saved.value === null
    ? await call("readLayout", (kv) => readLayout(kv, keys))
    : saved.value.from ?? 1;
  if (from !== null && from > LAYOUT_VERSION) throw new StoreLayoutError("newer", from);
  const report: MigrateReport = {
    from,
    to: LAYOUT_VERSION,
    migrated: false,
    resumed: saved.value !== null,
    assertions: 0,
    votes: 0,
    moved: 0,
  };
  // An empty store needs nothing: its first commit records the layout.
  if (from === LAYOUT_VERSION || from === null) return report;
  // A progress without a step is an earlier version's, which only built winners and tallies:
  // everything it wrote is written again, whole, so it starts over.
  const resumed = saved.value?.step === undefined ? null : saved.value;
  const progress = {
    from,
    step: "rekey",
    after: null,
    assertions: 0,
    votes: 0,
    moved: 0,
    ...resumed,
    to: LAYOUT_VERSION,
  } as
    & Required<Omit<MigrationProgress, "total" | "resumedFrom">>
    & Pick<MigrationProgress, "total" | "resumedFrom">;
  delete progress.total; // an earlier run's count, if it was committed
  if (resumed !== null) progress.resumedFrom = progress.moved + progress.votes;
  const largest = { ...progress, step: "assertions", after: "f".repeat(64) };
  const writer = new MigrationWriter(call, keys, {
    ...largest,
    assertions: Number.MAX_SAFE_INTEGER,
    votes: Number.MAX_SAFE_INTEGER,
    moved: Number.MAX_SAFE_INTEGER,
  });
  const commit = async () => {
    const { total: _, resumedFrom: _from, ...committed } = progress;
    await writer.flush(committed);
    options.onProgress?.({ ...progress });
  };
  if (options.countFirst) {
    const left = progress.step === "rekey" ? await countOldKeys(kv, { keys, call }) : 0;
    const votes = from === 1 ? await countVotes(kv, { keys, call }) : progress.votes;
    progress.total = progress.moved + left + (from === 1 ? votes : 0);
  }
  if (progress.step === "rekey") {
    const before = progress.moved;
    await rekey(kv, { keys, writer, call }, async (moved) => {
      progress.moved = before + moved;
      await commit();
      options.signal?.throwIfAborted();
    });
    // A layout-1 store rebuilds from the moved records; a layout-2 one is done.
    progress.step = from === 1 ? "assertions" : progress.step;
    progress.after = null;
    if (from === 1) await commit();
  }
  if (progress.step !== "rekey") {
    const step = progress as RebuildProgress & Required<Omit<MigrationProgress, "total">>;
    await rebuild(kv, { keys, writer, call, signal: options.signal }, step, commit);
  }
  const done = await call(
    "migrate",
    (kv) => kv.atomic().set(keys.layout(), LAYOUT_VERSION).delete(keys.migration()).commit(),
  );
  if (!done.ok) throw new Error("Cannot migrate store: the final commit failed");
  return {
    ...report,
    migrated: true,
    assertions: progress.assertions,
    votes: progress.votes,
    moved: progress.moved,
  };
}
