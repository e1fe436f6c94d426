/**
 * `KvStore`: knowledge records in Deno KV, local or remote.
 *
 * @module
 */

import { batchBudget, type BatchBudgetOptions } from "./batch_budget.ts";
import { commitBatch, type CommitCost } from "./commit.ts";
import {
  checkJournalId,
  checkOffset,
  consumerSet,
  deadLetterLimit,
  type DeadLetterListOptions,
  deadLetterSet,
  listConsumers,
  listCursors,
  listDeadLetters,
  readCursor,
} from "./ingest_state.ts";
import { KeyLayout } from "./keys.ts";
import { DEFAULT_KV_TIMEOUT_MS, withDeadline } from "./deadline.ts";
import { kvTarget } from "./kv_errors.ts";
import { checkLayout } from "./layout.ts";
import { type KvStoreOptions, openKv } from "./open_kv.ts";
import { planRecord } from "./plan.ts";
import { requireUnstable } from "./unstable.ts";
import { findStored } from "./stored.ts";
import { ReferenceCheck, type ReferenceCheckOptions } from "./reference_check.ts";
import {
  checkHash,
  getAssertion,
  getEpoch,
  hasAssertion,
  listEpochs,
  listSubject,
  listVotes,
} from "./queries.ts";
import {
  listEpochAssertions,
  listReferrers,
  listSubjectPredicate,
  listSubjects,
  listVoterVotes,
  type SubjectEntry,
  type SubjectListOptions,
  type SubjectQueryOptions,
} from "./index_queries.ts";
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
  #target: string;
  #timeoutMs: number;
  #closed = false;

  private constructor(
    kv: Deno.Kv,
    owned: boolean,
    at: { keys: KeyLayout; target: string; timeoutMs: number },
  ) {
    this.#kv = kv;
    this.#owned = owned;
    this.#keys = at.keys;
    this.#target = at.target;
    this.#timeoutMs = at.timeoutMs;
  }

  /**
   * Opens a store. A string is a local path or an http(s) URL, passed to
   * `Deno.openKv` unchanged; an opened `Deno.Kv` is used as is and left open
   * by `close()`. A remote that fails transiently while opening (a 5xx, a
   * refused or reset connection) is retried with backoff until
   * `options.timeoutMs` has passed.
   *
   * Then checks the store's layout version, bounded by the same deadline as
   * every call: an empty store or one in `LAYOUT_VERSION` opens (every commit
   * records the layout it writes); one written by an earlier version is
   * refused until `deno task migrate` has run.
   *
   * @throws {UnstableApiError} If Deno KV is not enabled (`--unstable-kv`).
   * @throws {TypeError} If no path, URL or `Deno.Kv` is given.
   * @throws {RangeError} If the prefix encodes to more than `MAX_PREFIX_BYTES`, or the timeout is not positive.
   * @throws {KvAuthError} At once, if the remote refuses the access token.
   * @throws {KvTimeoutError} If the KV could not be opened, or its layout read, within the deadline.
   * @throws {StoreLayoutError} If the store is in another layout version.
   */
  static async open(pathOrUrlOrKv: string | Deno.Kv, options?: KvStoreOptions): Promise<KvStore> {
    requireUnstable("kv", "Cannot open store");
    const keys = new KeyLayout(options?.prefix ?? []);
    const timeoutMs = options?.timeoutMs ?? DEFAULT_KV_TIMEOUT_MS;
    if (!(timeoutMs > 0)) {
      throw new RangeError(`Cannot open store: timeoutMs must be > 0, got ${timeoutMs}`);
    }
    let store: KvStore;
    if (typeof pathOrUrlOrKv === "string") {
      if (pathOrUrlOrKv.length === 0) {
        throw new TypeError("Cannot open store: path or URL is empty");
      }
      const target = kvTarget(pathOrUrlOrKv);
      const kv = await openKv(pathOrUrlOrKv, { target, timeoutMs });
      store = new KvStore(kv, true, { keys, target, timeoutMs });
    } else if (pathOrUrlOrKv instanceof Deno.Kv) {
      store = new KvStore(pathOrUrlOrKv, false, { keys, target: "<Deno.Kv>", timeoutMs });
    } else {
      throw new TypeError(
        `Cannot open store: expected a path, an http(s) URL or a Deno.Kv, got ${
          String(pathOrUrlOrKv)
        }`,
      );
    }
    try {
      await store.#call("checkLayout", (kv) => checkLayout(kv, keys));
    } catch (error) {
      store.close();
      throw error;
    }
    return store;
  }

  /** The KV this store calls, as errors name it: a path, or a URL without credentials. */
  get target(): string {
    return this.#target;
  }

  /** Deadline of each call to the KV, in milliseconds. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** The underlying Deno KV. */
  get kv(): Deno.Kv {
    return this.#kv;
  }

  /** The key layout, prefix included. */
  get keys(): KeyLayout {
    return this.#keys;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Closes the store; closes the KV only if the store opened it. Idempotent,
   * and does not wait for calls abandoned at their deadline.
   */
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
    return batchBudget(this.#keys, journalId, options);
  }

  /**
   * A referential check of records about to be appended, against this
   * store: see `ReferenceCheck`. One check per request or input.
   */
  referenceCheck(options?: ReferenceCheckOptions): ReferenceCheck {
    const deadline = { target: this.#target, timeoutMs: this.#timeoutMs };
    return new ReferenceCheck({ kv: this.#kv, keys: this.#keys, deadline }, options);
  }

  /** Reads a journal's cursor and its versionstamp (strong consistency). */
  readCursor(journalId: string): Promise<CursorState> {
    return this.#call("readCursor", (kv) => readCursor(kv, this.#keys, journalId));
  }

  /**
   * Commits a batch atomically: checks the cursor key's versionstamp equals
   * `expect`, then writes the sets, dead letters, consumer offset and cursor.
   * Returns `{ ok: false }` and applies nothing if the check fails.
   *
   * @throws {RangeError} If the batch exceeds Deno KV's commit limits.
   */
  commitBatch(batch: CommitBatch): Promise<CommitResult> {
    return this.#call("commitBatch", (kv) => commitBatch(kv, this.#keys, batch));
  }

  /** Dead letters of one journal, or of all journals, in offset order. */
  async deadLetters(journalId?: string, options?: DeadLetterListOptions): Promise<DeadLetter[]> {
    if (journalId !== undefined) checkJournalId("list dead letters", journalId);
    const limit = deadLetterLimit(options);
    return await this.#call(
      "deadLetters",
      (kv) => listDeadLetters(kv, this.#keys, journalId, limit),
    );
  }

  /** Every journal's cursor. */
  cursors(): Promise<CursorInfo[]> {
    return this.#call("cursors", (kv) => listCursors(kv, this.#keys));
  }

  /** Registers (or moves) a consumer of a journal at `offset`. */
  async setConsumer(journalId: string, name: string, offset: number): Promise<void> {
    checkJournalId("set consumer", journalId);
    checkOffset("set consumer", offset);
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError("Cannot set consumer: name must be a non-empty string");
    }
    const set = consumerSet(this.#keys, journalId, name, offset, Date.now());
    await this.#call("setConsumer", (kv) => kv.set(set.key, set.value));
  }

  /** Removes a consumer registration. */
  async removeConsumer(journalId: string, name: string): Promise<void> {
    checkJournalId("remove consumer", journalId);
    await this.#call("removeConsumer", (kv) => kv.delete(this.#keys.consumer(journalId, name)));
  }

  /** A journal's registered consumers. */
  consumers(journalId: string): Promise<ConsumerInfo[]> {
    return this.#call("consumers", (kv) => listConsumers(kv, this.#keys, journalId));
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
   * For each payload, whether its record is already stored (the key that
   * holds it has exactly these bytes) or it repeats an earlier payload of
   * the list: what an idempotent append skips. Records still in the journal,
   * not yet ingested, are not seen.
   *
   * @example Skip what is already stored
   * ```ts
   * import assert from "node:assert/strict";
   * import { KvStore } from "@stemedb/ingest/store";
   * import { contentHash, fromHex, serializeEpoch } from "@stemedb/ingest/records";
   *
   * const dir = await Deno.makeTempDir();
   * const store = await KvStore.open(`${dir}/kv.sqlite`);
   * const stored = serializeEpoch({ id: "0a", name: "a", description: "", startTime: 0 });
   * const plan = store.recordMutations(stored, fromHex(await contentHash(stored)));
   * if (!plan.ok) throw new Error(plan.reason);
   * // An epoch's E key is resolved at commit (the version kept): on an empty store it is set.
   * const sets = [...plan.sets, plan.resolve!.set];
   * await store.commitBatch({ journalId: "j", expect: null, sets, deadLetters: [], cursor: 1 });
   * const fresh = serializeEpoch({ id: "0b", name: "b", description: "", startTime: 0 });
   * assert.deepEqual(await store.findStored([stored, fresh, fresh]), [true, false, true]);
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  findStored(payloads: readonly Uint8Array[]): Promise<boolean[]> {
    return this.#call("findStored", (kv) => findStored(kv, this.#keys, payloads));
  }

  /**
   * The assertion with content hash `hash`, or null.
   *
   * @throws {TypeError} If `hash` is not 64 lowercase hex characters.
   */
  getAssertion(hash: string): Promise<StoredAssertion | null> {
    return this.#call("getAssertion", (kv) => getAssertion(kv, this.#keys, hash));
  }

  /**
   * A page of the assertions about `subject`, in hash order; with
   * `options.predicate`, only those with exactly that predicate.
   *
   * @throws {RangeError} If `limit` is not in [1, 1000] or `subject` exceeds `MAX_SUBJECT_BYTES`.
   */
  listSubject(subject: string, options?: SubjectQueryOptions): Promise<Page<StoredAssertion>> {
    if (options?.predicate === undefined) {
      return this.#call("listSubject", (kv) => listSubject(kv, this.#keys, subject, options));
    }
    const query = { subject, predicate: options.predicate };
    return this.#call(
      "listSubject",
      (kv) => listSubjectPredicate(kv, this.#keys, query, options),
    );
  }

  /**
   * A page of the distinct subjects, in code point order; with
   * `options.prefix`, only those that start with it.
   *
   * @throws {RangeError} If `limit` is not in [1, 1000] or the prefix exceeds `MAX_SUBJECT_BYTES`.
   * @throws {TypeError} If the prefix holds a lone surrogate.
   */
  listSubjects(options?: SubjectListOptions): Promise<Page<SubjectEntry>> {
    return this.#call("listSubjects", (kv) => listSubjects(kv, this.#keys, options));
  }

  /**
   * A page of the assertions whose object is `{ ref: hash }`, in hash order.
   *
   * @throws {TypeError} If `hash` is not 64 lowercase hex characters.
   * @throws {RangeError} If `limit` is not in [1, 1000].
   */
  listReferrers(hash: string, options?: ListOptions): Promise<Page<StoredAssertion>> {
    return this.#call("listReferrers", (kv) => listReferrers(kv, this.#keys, hash, options));
  }

  /**
   * A page of the assertions that name epoch `id`, in hash order.
   *
   * @throws {TypeError} If `id` is not 2–64 lowercase hex characters.
   * @throws {RangeError} If `limit` is not in [1, 1000].
   */
  listEpochAssertions(id: string, options?: ListOptions): Promise<Page<StoredAssertion>> {
    return this.#call(
      "listEpochAssertions",
      (kv) => listEpochAssertions(kv, this.#keys, id, options),
    );
  }

  /**
   * A page of every vote `voter` cast on `assertionHash`, oldest first (by
   * timestamp, then vote hash): the voter's history on it.
   *
   * @throws {TypeError} If `assertionHash` is not 64 lowercase hex characters or `voter` is empty.
   * @throws {RangeError} If `limit` is not in [1, 1000].
   */
  listVoterVotes(
    assertionHash: string,
    voter: string,
    options?: ListOptions,
  ): Promise<Page<StoredVote>> {
    const query = { assertion: assertionHash, voter };
    return this.#call("listVoterVotes", (kv) => listVoterVotes(kv, this.#keys, query, options));
  }

  /**
   * A page of the votes on an assertion, in vote-hash order.
   *
   * @throws {TypeError} If `assertionHash` is not 64 lowercase hex characters.
   * @throws {RangeError} If `limit` is not in [1, 1000].
   */
  listVotes(assertionHash: string, options?: ListOptions): Promise<Page<StoredVote>> {
    return this.#call("listVotes", (kv) => listVotes(kv, this.#keys, assertionHash, options));
  }

  /**
   * Whether the assertion with content hash `hash` is stored (one key read, no decoding).
   *
   * @throws {TypeError} If `hash` is not 64 lowercase hex characters.
   */
  hasAssertion(hash: string): Promise<boolean> {
    return this.#call("hasAssertion", (kv) => hasAssertion(kv, this.#keys, hash));
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
    const hash = checkHash("tally votes", assertionHash);
    return await this.#call("tally", (kv) => readTally(kv, this.#keys, hash));
  }

  /**
   * The epoch with id `id`, or null: of every version appended under that
   * id, the one with the latest `startTime` (ties to the greater content hash).
   *
   * @throws {TypeError} If `id` is not 2–64 lowercase hex characters.
   */
  getEpoch(id: string): Promise<StoredEpoch | null> {
    return this.#call("getEpoch", (kv) => getEpoch(kv, this.#keys, id));
  }

  /**
   * A page of all epochs, in id order.
   *
   * @throws {RangeError} If `limit` is not in [1, 1000].
   */
  listEpochs(options?: ListOptions): Promise<Page<StoredEpoch>> {
    return this.#call("listEpochs", (kv) => listEpochs(kv, this.#keys, options));
  }

  /** `fn` on the KV, bounded by the store's deadline. */
  #call<T>(operation: string, fn: (kv: Deno.Kv) => Promise<T>): Promise<T> {
    return withDeadline(() => fn(this.#kv), {
      operation,
      target: this.#target,
      timeoutMs: this.#timeoutMs,
    });
  }
}
