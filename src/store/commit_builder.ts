/**
 * The commit builder: turns journal records into atomic commits that fit
 * Deno KV's limits. It owns the cost measure, the packing, the dead letters
 * for what cannot be applied or cannot fit, and the versionstamp-checked
 * commit, so a caller only feeds records and commits what it is handed.
 *
 * @module
 */

import { addCost, addSetCost, type CommitCost, commitCost } from "./commit.ts";
import { fromHex } from "../records/mod.ts";
import { BatchPacker, packLimits } from "./_batch_packer.ts";
import type { KvStore } from "./kv_store.ts";
import { type Applied, carryOver, resolve, type ResolveState } from "./resolve.ts";
import { cacheOf, type WinnerCache } from "./_winner_cache.ts";
import { withDeadline } from "./deadline.ts";
import { tallyCost } from "./tally.ts";
import type { CommitResult, DeadLetter, PlannedCommit } from "./types.ts";

/** Most assertions whose tally cost a builder keeps. */
const TALLY_COSTS_KEPT = 4_096;

/** Reason given to the dead letter of a record whose sets cannot fit one commit. */
export const TOO_LARGE_REASON = "too large for KV";

/**
 * One journal record, as the builder needs it.
 *
 * @example Describe a record read from a journal
 * ```ts
 * import type { CommitRecord } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const record: CommitRecord = {
 *   offset: 0,
 *   next: 48,
 *   payload: new Uint8Array(8),
 *   digest: new Uint8Array(32),
 * };
 * assert.equal(record.next - record.offset, 48);
 * ```
 */
export interface CommitRecord {
  /** Offset of the record in its journal. */
  offset: number;
  /** Offset just after it: the cursor once it is committed. */
  next: number;
  /** The payload bytes. */
  payload: Uint8Array;
  /** BLAKE3-256 digest of the payload, as the journal stored it. */
  digest: Uint8Array;
}

/**
 * Options of `new CommitBuilder()`.
 *
 * @example Cap commits at 100 records
 * ```ts
 * import { CommitBuilder, type CommitBuilderOptions, KvStore } from "@stemedb/ingest/store";
 *
 * const store = await KvStore.open(":memory:");
 * const options: CommitBuilderOptions = { journalId: "0".repeat(32), maxRecords: 100 };
 * const builder = new CommitBuilder(store, options);
 * console.log(builder.records); // 0
 * store.close();
 * ```
 */
export interface CommitBuilderOptions {
  /** Journal the records come from (32 hex characters). */
  journalId: string;
  /**
   * Consumer whose registered offset every commit moves along with the cursor.
   *
   * @default {undefined}
   */
  consumer?: string;
  /**
   * Most records (applied plus dead-lettered) per commit.
   *
   * @default {Infinity}
   */
  maxRecords?: number;
}

/**
 * Where a commit must find the cursor, and what it records beside it.
 *
 * @example Commit over a fresh cursor
 * ```ts
 * import type { CommitOptions } from "@stemedb/ingest/store";
 *
 * const options: CommitOptions = { expect: null, lagBytes: 0 };
 * console.log(options.expect); // null
 * ```
 */
export interface CommitOptions {
  /** Versionstamp the cursor key must still have (`null`: it must not exist). */
  expect: string | null;
  /**
   * Durable bytes still behind the new cursor, recorded with it.
   *
   * @default {undefined}
   */
  lagBytes?: number;
  /**
   * Id recorded with the cursor, naming this commit (`CommitBatch.commit`).
   *
   * @default {undefined}
   */
  commit?: string;
}

/**
 * Packs journal records into commits that fit Deno KV's limits, and commits
 * them. Feed records in journal order with `add()`; when it answers `false`
 * the record does not fit beside what is packed: `take()` the commit, hand it
 * to `commit()`, and add the record again. A record's sets always travel
 * together; a poison record, or one whose sets cannot fit even an empty
 * commit, becomes a dead letter.
 *
 * @example Apply two records in one commit
 * ```ts
 * import { CommitBuilder, KvStore } from "@stemedb/ingest/store";
 * import { contentHash, fromHex, serializeAssertion } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const store = await KvStore.open(":memory:");
 * const journalId = "0".repeat(32);
 * const builder = new CommitBuilder(store, { journalId });
 * let offset = 0;
 * for (const object of ["sun", "moon"]) {
 *   const payload = serializeAssertion({
 *     subject: "earth", predicate: "near", object,
 *     source: "doc", confidence: 1, timestamp: 0,
 *   });
 *   const digest = fromHex(await contentHash(payload));
 *   const next = offset + 40 + payload.length;
 *   assert.ok(builder.add({ offset, next, payload, digest }));
 *   offset = next;
 * }
 * const planned = builder.take()!;
 * const result = await builder.commit(planned, { expect: null });
 * assert.ok(result.ok);
 * assert.equal((await store.listSubject("earth")).items.length, 2);
 * assert.equal((await store.readCursor(journalId)).offset, offset);
 * store.close();
 * ```
 */
export class CommitBuilder {
  #store: KvStore;
  #journalId: string;
  #consumer: string | undefined;
  #packer: BatchPacker;
  /** The record `add()` last refused, with how to add it: planned once, added after `take()`. */
  #refused: { record: CommitRecord; add: () => boolean } | null = null;
  /**
   * The state the last commit taken resolves against, read while the commit
   * before it is in flight (so the reads leave the critical path).
   */
  #prefetch: {
    planned: PlannedCommit;
    state: Promise<ResolveState | null>;
    /** Successful commits of this builder when the prefetch was taken. */
    after: number;
  } | null = null;
  /** Successful commits of this builder. */
  #commits = 0;
  /** What this builder's last successful commit wrote, to bring a prefetched state up to date. */
  #applied: Applied | null = null;
  /** Winners known in process, shared with the store's other builders. */
  #cache: WinnerCache;
  /** What the tally counters of an assertion cost in a commit, by assertion (bounded). */
  #tallyCosts = new Map<string, CommitCost>();

  /**
   * A builder of commits of `options.journalId`'s records into `store`.
   *
   * @throws {TypeError} If the journal id is not 32 hex characters.
   */
  constructor(store: KvStore, options: CommitBuilderOptions) {
    this.#store = store;
    this.#journalId = options.journalId;
    this.#consumer = options.consumer;
    this.#cache = cacheOf(store);
    const budget = store.batchBudget(options.journalId, { consumer: options.consumer });
    this.#packer = new BatchPacker(packLimits(budget, options.maxRecords));
  }

  /** Records packed into the commit being built. */
  get records(): number {
    return this.#packer.records;
  }

  /**
   * Add the next record: its sets, or its dead letter. `false` means it does
   * not fit beside what is packed: `take()` first, then add it again.
   *
   * @throws {RangeError} If it does not fit an empty commit (cannot happen within Deno KV's limits).
   */
  add(record: CommitRecord): boolean {
    const refused = this.#refused;
    this.#refused = null;
    const add = refused?.record === record ? refused.add : this.#plan(record);
    if (add()) return true;
    if (this.#packer.records === 0) {
      throw new RangeError(
        `Cannot pack record at offset ${record.offset}: no room in an empty commit`,
      );
    }
    this.#refused = { record, add };
    return false;
  }

  /**
   * The commit built so far (`null` when nothing is packed); the builder
   * starts over empty. Starts reading what its votes and epochs resolve
   * against, for `commit()`.
   */
  take(): PlannedCommit | null {
    const planned = this.#packer.take();
    if (planned !== null && planned.resolves.length > 0) {
      // After the reads of the commit before: `carryOver` relies on reading no earlier than it.
      const before = this.#prefetch?.state ?? Promise.resolve(null);
      const state = before.then(() => this.#readState(planned))
        .catch(() => null); // a failed prefetch is read again by commit()
      this.#prefetch = { planned, state, after: this.#commits };
    }
    return planned;
  }

  /**
   * Resolves once what `planned` (the commit taken last) resolves against has
   * been read, at once when it reads nothing; it never rejects (a failed read
   * is made again by `commit()`). A caller that waits for it before building
   * the next commit keeps the main thread free to take the reads' answers and
   * send `planned` the moment they are in, instead of leaving them queued
   * behind its own work.
   */
  whenRead(planned: PlannedCommit): Promise<void> {
    const prefetch = this.#prefetch;
    return prefetch?.planned === planned ? prefetch.state.then(() => {}) : Promise.resolve();
  }

  /**
   * Commit what `take()` returned: its sets, dead letters, the consumer
   * offset and the new cursor, with its votes and epochs resolved against
   * the stored winners, in one atomic commit checked against the cursor's
   * versionstamp and the guards of the winners it changes. `{ ok: false }`
   * (nothing applied) when the cursor moved; when only a guard moved (another
   * journal changed a winner of the same shard), it resolves again and retries.
   */
  async commit(planned: PlannedCommit, options: CommitOptions): Promise<CommitResult> {
    try {
      return await this.#commit(planned, options);
    } catch (error) {
      // The commit may still land (a remote answer lost): what is cached may be stale.
      this.#cache.clear();
      throw error;
    }
  }

  async #commit(planned: PlannedCommit, options: CommitOptions): Promise<CommitResult> {
    const store = this.#store;
    // Nothing to resolve (no vote, no epoch): no winner or guard to read, nor to check.
    let state: ResolveState | null = planned.resolves.length === 0
      ? { guards: new Map(), current: new Map() }
      : await this.#prefetched(planned);
    while (true) {
      state ??= await this.#readState(planned);
      const { resolution, applied } = resolve(store.keys, state, planned.resolves);
      const result = await store.commitBatch({
        journalId: this.#journalId,
        expect: options.expect,
        sets: [...planned.sets, ...resolution.sets],
        checks: resolution.checks,
        sums: resolution.sums,
        deadLetters: planned.deadLetters,
        cursor: planned.end,
        ...(options.lagBytes === undefined ? {} : { lag: { bytes: options.lagBytes } }),
        consumer: this.#consumer,
        ...(options.commit === undefined ? {} : { commit: options.commit }),
      });
      if (result.ok) {
        this.#commits++;
        this.#applied = { ...applied, versionstamp: result.versionstamp! };
        this.#cache.applied(this.#applied);
        return result;
      }
      // Without guards only the cursor's check can have failed: the caller settles it.
      if (resolution.checks.length === 0) return result;
      // With guards, the cursor tells which check failed (FORMAT.md §3.2, §3.4): our own
      // commit id there means a commit of ours landed and its answer was lost; a
      // cursor moved by anyone else is a refusal; an unmoved cursor means only a
      // guard moved, so resolve again against the winners now stored.
      const cursor = await store.readCursor(this.#journalId);
      if (options.commit !== undefined && cursor.commit === options.commit) {
        this.#commits++;
        // Which attempt's resolution landed is unknown: the next prefetch is read again.
        this.#applied = null;
        this.#cache.clear();
        return { ok: true, versionstamp: cursor.versionstamp! };
      }
      if (cursor.versionstamp !== options.expect) {
        this.#cache.clear();
        return { ok: false };
      }
      // A guard this commit checked moved: another writer changed its shard.
      this.#cache.drop(applied.guards.keys());
      state = null;
    }
  }

  /** Reads what `planned` resolves against, bounded by the store's deadline. */
  #readState(planned: PlannedCommit): Promise<ResolveState> {
    const store = this.#store;
    return withDeadline(() => this.#cache.readState(store.kv, store.keys, planned.resolves), {
      operation: "readResolveState",
      target: store.target,
      timeoutMs: store.timeoutMs,
    });
  }

  /**
   * The prefetched state of `planned`, up to date with this builder's
   * commits since, or `null` to read it again. Commits of other writers in
   * between are caught by the guard checks, as for any read.
   */
  async #prefetched(planned: PlannedCommit): Promise<ResolveState | null> {
    const prefetch = this.#prefetch;
    if (prefetch?.planned !== planned) return null;
    this.#prefetch = null;
    const state = await prefetch.state;
    if (state === null) return null;
    const since = this.#commits - prefetch.after;
    // One commit of ours may have landed since (the one in flight while it read): lay it over.
    if (since === 0) return state;
    return since === 1 && this.#applied !== null ? carryOver(state, this.#applied) : null;
  }

  /** The cost of `assertion`'s four tally counters: the same for every vote on it. */
  #tallyCost(assertion: string): CommitCost {
    let cost = this.#tallyCosts.get(assertion);
    if (cost === undefined) {
      // Assertions of a few commits' votes: enough to spare rebuilding their keys for each vote.
      if (this.#tallyCosts.size >= TALLY_COSTS_KEPT) this.#tallyCosts.clear();
      // Converted once for the four keys.
      cost = commitCost(tallyCost(this.#store.keys, fromHex(assertion)));
      this.#tallyCosts.set(assertion, cost);
    }
    return cost;
  }

  /** Plan one record and return how to add it to the packer. */
  #plan(record: CommitRecord): () => boolean {
    const { offset, payload, digest, next } = record;
    const packer = this.#packer;
    const plan = this.#store.recordMutations(payload, digest);
    let reason: string;
    if (plan.ok) {
      const { sets, resolve } = plan;
      const cost = commitCost(sets);
      if (resolve !== undefined) addSetCost(cost, resolve.set);
      // A vote may change its assertion's tally: four counters, paid once per commit.
      const assertion = resolve?.kind === "vote" ? resolve.assertion : null;
      const tally = assertion === null ? null : this.#tallyCost(assertion);
      if (packer.fitsAlone(tally === null ? cost : addCost(cost, tally))) {
        return () => {
          const paid = tally === null || packer.hasTally(assertion!);
          return packer.tryAddSets(sets, paid ? cost : addCost(cost, tally), next, resolve);
        };
      }
      reason = `${TOO_LARGE_REASON}: ${cost.mutations} mutations, ${cost.bytes} bytes, ` +
        `${cost.keyBytes} key bytes`;
    } else {
      reason = plan.reason;
    }
    const letter: DeadLetter = { journalId: this.#journalId, offset, reason, payload };
    const cost = commitCost([this.#store.deadLetterSet(letter)]);
    return () => packer.tryAddDeadLetter(letter, cost, next);
  }
}
