/**
 * `KvStore`: knowledge records in Deno KV, local or remote.
 *
 * @module
 */

import { commitBatch, type CommitCost, commitCost } from "./commit.ts";
import {
  checkJournalId,
  checkOffset,
  consumerSet,
  cursorSet,
  deadLetterSet,
  listConsumers,
  listCursors,
  listDeadLetters,
  readCursor,
} from "./ingest_state.ts";
import { KeyLayout } from "./keys.ts";
import { checkLayout, layoutSet } from "./layout.ts";
import { checkHash } from "./queries.ts";
import {
  DEFAULT_PAGE_LIMIT,
  MAX_COMMIT_BYTES,
  MAX_MUTATIONS,
  MAX_TOTAL_KEY_BYTES,
} from "./limits.ts";
import { planRecord } from "./plan.ts";
import {
  getAssertion,
  getEpoch,
  hasAssertion,
  listEpochs,
  listSubject,
  listVotes,
} from "./queries.ts";
import { guardReserve } from "./resolve.ts";
import { readTally } from "./tally.ts";
import type {
  CommitBatch,
  CommitResult,
  ConsumerInfo,
  CursorInfo,
  CursorState,
  DeadLetter,
  KvSet,
  ListOptions,
  Page,
  RecordPlan,
  StoredAssertion,
  StoredEpoch,
  StoredVote,
} from "./types.ts";
import type { Tally } from "./consensus_types.ts";

/**
 * Options of `KvStore.open`.
 *
 * @example Open a store under a prefix
 * ```ts
 * import { KvStore, type KvStoreOptions } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const options: KvStoreOptions = { prefix: ["tenant-1"] };
 * const store = await KvStore.open(`${dir}/kv.sqlite`, options);
 * assert.deepEqual(store.keys.prefix, ["tenant-1"]);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface KvStoreOptions {
  /**
   * Key prefix every key of this store starts with, so several stores can
   * share one Deno KV. Its encoding may take at most `MAX_PREFIX_BYTES`.
   *
   * @default {[]}
   */
  prefix?: Deno.KvKey;
}

/**
 * Options of `KvStore.batchBudget`.
 *
 * @example Budget a batch that also moves a consumer
 * ```ts
 * import { type BatchBudgetOptions, KvStore } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const options: BatchBudgetOptions = { consumer: "ingestor" };
 * assert.ok(store.batchBudget("j1", options).mutations < 1000);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface BatchBudgetOptions {
  /**
   * Consumer whose offset the commit will also move.
   *
   * @default {undefined}
   */
  consumer?: string;
}

/**
 * Options of `KvStore.deadLetters`.
 *
 * @example List a few dead letters
 * ```ts
 * import { type DeadLetterListOptions, KvStore } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const options: DeadLetterListOptions = { limit: 10 };
 * assert.deepEqual(await store.deadLetters(undefined, options), []);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface DeadLetterListOptions {
  /**
   * Most dead letters to return.
   *
   * @default {DEFAULT_PAGE_LIMIT}
   */
  limit?: number;
}

/**
 * Knowledge records in Deno KV under content-addressed keys, with the
 * primitives the ingestor commits through and the queries readers use.
 * Everything that must be atomic goes through one `kv.atomic()` commit, so
 * the same code serves a local SQLite file and a remote KV.
 *
 * @example Apply a record and query it
 * ```ts
 * import { KvStore } from "@stemedb/ingest/store";
 * import { contentHash, fromHex, serializeAssertion } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const payload = serializeAssertion({
 *   subject: "earth", predicate: "orbits", object: "sun",
 *   source: "kepler", confidence: 1, timestamp: 0,
 * });
 * // The ingestor passes the digest the journal stored; here we compute it.
 * const digest = fromHex(await contentHash(payload));
 * const plan = store.recordMutations(payload, digest);
 * if (!plan.ok) throw new Error(plan.reason);
 * const { versionstamp } = await store.readCursor("j1");
 * await store.commitBatch({ journalId: "j1", expect: versionstamp, sets: plan.sets, deadLetters: [], cursor: 100 });
 * assert.deepEqual((await store.getAssertion(plan.hash))?.object, "sun");
 * assert.deepEqual((await store.listSubject("earth")).items.length, 1);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class KvStore {
  #kv: Deno.Kv;
  #owned: boolean;
  #keys: KeyLayout;
  #closed = false;

  private constructor(kv: Deno.Kv, owned: boolean, keys: KeyLayout) {
    this.#kv = kv;
    this.#owned = owned;
    this.#keys = keys;
  }

  /**
   * Opens a store. A string is a local path or an http(s) URL, passed to
   * `Deno.openKv` unchanged; an opened `Deno.Kv` is used as is and left open
   * by `close()`.
   *
   * Checks the store's layout version first: an empty store or one in
   * `LAYOUT_VERSION` opens (every commit records the layout it writes); one
   * written by an earlier version is refused until `deno task migrate` has run.
   *
   * @throws {TypeError} If no path, URL or `Deno.Kv` is given.
   * @throws {RangeError} If the prefix encodes to more than `MAX_PREFIX_BYTES`.
   * @throws {StoreLayoutError} If the store is in another layout version.
   */
  static async open(pathOrUrlOrKv: string | Deno.Kv, options?: KvStoreOptions): Promise<KvStore> {
    const keys = new KeyLayout(options?.prefix ?? []);
    let store: KvStore;
    if (typeof pathOrUrlOrKv === "string") {
      if (pathOrUrlOrKv.length === 0) {
        throw new TypeError("Cannot open store: path or URL is empty");
      }
      store = new KvStore(await Deno.openKv(pathOrUrlOrKv), true, keys);
    } else if (pathOrUrlOrKv instanceof Deno.Kv) {
      store = new KvStore(pathOrUrlOrKv, false, keys);
    } else {
      throw new TypeError(
        `Cannot open store: expected a path, an http(s) URL or a Deno.Kv, got ${
          String(pathOrUrlOrKv)
        }`,
      );
    }
    try {
      await checkLayout(store.#kv, keys);
    } catch (error) {
      store.close();
      throw error;
    }
    return store;
  }

  /** The underlying Deno KV. */
  get kv(): Deno.Kv {
    return this.#kv;
  }

  /** The key layout, prefix included. */
  get keys(): KeyLayout {
    return this.#keys;
  }

  /** Closes the store; closes the KV only if the store opened it. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) this.#kv.close();
  }

  /**
   * Plans the sets that apply one journal payload, given the BLAKE3-256
   * digest the journal stored for it; or says why it is a poison record
   * (`unknown-type`, `undecodable`, `invalid`, `too-large`). Pure: reads nothing.
   *
   * @throws {TypeError} If `digest` is not 32 bytes.
   */
  recordMutations(payload: Uint8Array, digest: Uint8Array): RecordPlan {
    return planRecord(this.#keys, payload, digest);
  }

  /** The set `commitBatch` would write for a dead letter, for sizing a batch. */
  deadLetterSet(letter: DeadLetter): KvSet {
    return deadLetterSet(this.#keys, letter, Date.now());
  }

  /**
   * What is left of Deno KV's commit limits for a batch's record sets and
   * dead-letter sets once the cursor check, the cursor and layout sets, the
   * optional consumer set and the guards of resolved keys (a check and a set
   * per shard) are counted. Pack batches so their sets stay within it.
   */
  batchBudget(journalId: string, options?: BatchBudgetOptions): CommitCost {
    checkJournalId("compute batch budget", journalId);
    const now = Date.now();
    const lag = { bytes: Number.MAX_SAFE_INTEGER, records: Number.MAX_SAFE_INTEGER };
    const fixed = [
      cursorSet(this.#keys, journalId, Number.MAX_SAFE_INTEGER, lag, now),
      layoutSet(this.#keys),
    ];
    if (options?.consumer !== undefined) {
      fixed.push(consumerSet(this.#keys, journalId, options.consumer, 0, now));
    }
    // Room for the guards of every shard, whether or not the commit resolves anything.
    const guards = guardReserve(this.#keys);
    fixed.push(...guards.sets);
    const cost = commitCost(fixed, [this.#keys.cursor(journalId), ...guards.checkKeys]);
    return {
      mutations: MAX_MUTATIONS - cost.mutations,
      bytes: MAX_COMMIT_BYTES - cost.bytes,
      keyBytes: MAX_TOTAL_KEY_BYTES - cost.keyBytes,
    };
  }

  /** Reads a journal's cursor and its versionstamp (strong consistency). */
  readCursor(journalId: string): Promise<CursorState> {
    return readCursor(this.#kv, this.#keys, journalId);
  }

  /**
   * Commits a batch atomically: checks the cursor key's versionstamp equals
   * `expect`, then writes the sets, dead letters, consumer offset and cursor.
   * Returns `{ ok: false }` and applies nothing if the check fails.
   *
   * @throws {RangeError} If the batch exceeds Deno KV's commit limits.
   */
  commitBatch(batch: CommitBatch): Promise<CommitResult> {
    return commitBatch(this.#kv, this.#keys, batch);
  }

  /** Dead letters of one journal, or of all journals, in offset order. */
  async deadLetters(journalId?: string, options?: DeadLetterListOptions): Promise<DeadLetter[]> {
    if (journalId !== undefined) checkJournalId("list dead letters", journalId);
    const limit = options?.limit ?? DEFAULT_PAGE_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`Cannot list dead letters: limit must be an integer >= 1, got ${limit}`);
    }
    return await listDeadLetters(this.#kv, this.#keys, journalId, limit);
  }

  /** Every journal's cursor. */
  cursors(): Promise<CursorInfo[]> {
    return listCursors(this.#kv, this.#keys);
  }

  /** Registers (or moves) a consumer of a journal at `offset`. */
  async setConsumer(journalId: string, name: string, offset: number): Promise<void> {
    checkJournalId("set consumer", journalId);
    checkOffset("set consumer", offset);
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError("Cannot set consumer: name must be a non-empty string");
    }
    const set = consumerSet(this.#keys, journalId, name, offset, Date.now());
    await this.#kv.set(set.key, set.value);
  }

  /** Removes a consumer registration. */
  async removeConsumer(journalId: string, name: string): Promise<void> {
    checkJournalId("remove consumer", journalId);
    await this.#kv.delete(this.#keys.consumer(journalId, name));
  }

  /** A journal's registered consumers. */
  consumers(journalId: string): Promise<ConsumerInfo[]> {
    return listConsumers(this.#kv, this.#keys, journalId);
  }

  /**
   * The lowest offset among a journal's registered consumers, or null if
   * none is registered: journal data below it is no longer needed.
   */
  async lowestConsumerOffset(journalId: string): Promise<number | null> {
    let lowest: number | null = null;
    for (const consumer of await this.consumers(journalId)) {
      if (lowest === null || consumer.offset < lowest) lowest = consumer.offset;
    }
    return lowest;
  }

  /**
   * The assertion with content hash `hash`, or null.
   *
   * @throws {TypeError} If `hash` is not 64 lowercase hex characters.
   */
  getAssertion(hash: string): Promise<StoredAssertion | null> {
    return getAssertion(this.#kv, this.#keys, hash);
  }

  /**
   * A page of the assertions about `subject`, in hash order.
   *
   * @throws {RangeError} If `limit` is not in [1, 1000] or `subject` exceeds `MAX_SUBJECT_BYTES`.
   */
  listSubject(subject: string, options?: ListOptions): Promise<Page<StoredAssertion>> {
    return listSubject(this.#kv, this.#keys, subject, options);
  }

  /**
   * A page of the votes on an assertion, in vote-hash order.
   *
   * @throws {TypeError} If `assertionHash` is not 64 lowercase hex characters.
   * @throws {RangeError} If `limit` is not in [1, 1000].
   */
  listVotes(assertionHash: string, options?: ListOptions): Promise<Page<StoredVote>> {
    return listVotes(this.#kv, this.#keys, assertionHash, options);
  }

  /**
   * Whether the assertion with content hash `hash` is stored (one key read, no decoding).
   *
   * @throws {TypeError} If `hash` is not 64 lowercase hex characters.
   */
  async hasAssertion(hash: string): Promise<boolean> {
    return await hasAssertion(this.#kv, this.#keys, hash);
  }

  /**
   * Tally of the votes on an assertion: each voter's winning vote (latest
   * `timestamp`, ties to the greater content hash) counted once. Reads four
   * keys whatever the number of votes; the assertion need not be stored
   * (votes may arrive before it).
   *
   * @throws {TypeError} If `assertionHash` is not 64 lowercase hex characters.
   */
  async tally(assertionHash: string): Promise<Tally> {
    return await readTally(this.#kv, this.#keys, checkHash("tally votes", assertionHash));
  }

  /**
   * The epoch with id `id`, or null: of every version appended under that
   * id, the one with the latest `startTime` (ties to the greater content hash).
   *
   * @throws {TypeError} If `id` is not 2–64 lowercase hex characters.
   */
  getEpoch(id: string): Promise<StoredEpoch | null> {
    return getEpoch(this.#kv, this.#keys, id);
  }

  /**
   * A page of all epochs, in id order.
   *
   * @throws {RangeError} If `limit` is not in [1, 1000].
   */
  listEpochs(options?: ListOptions): Promise<Page<StoredEpoch>> {
    return listEpochs(this.#kv, this.#keys, options);
  }
}
