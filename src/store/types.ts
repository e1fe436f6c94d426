/**
 * Shapes the store hands to the ingestor and to readers.
 *
 * @module
 */

import type { Assertion, Epoch, RecordType, Vote } from "../records/mod.ts";
import type { KvSum, Resolvable } from "./consensus_types.ts";

/**
 * One `set` mutation, with what it costs against the commit limits.
 *
 * @example Inspect the sets of a plan
 * ```ts
 * import { KvStore, type KvSet } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * import { contentHash, fromHex, serializeAssertion } from "@stemedb/ingest/records";
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const payload = serializeAssertion({
 *   subject: "earth", predicate: "orbits", object: "sun",
 *   source: "kepler", confidence: 1, timestamp: 0,
 * });
 * const digest = fromHex(await contentHash(payload));
 * const plan = store.recordMutations(payload, digest);
 * const sets: KvSet[] = plan.ok ? plan.sets : [];
 * // The payload under H, the subject entry under S, the SL and SP index entries.
 * assert.deepEqual(sets.map((s) => s.key[0]), ["H", "S", "SL", "SP"]);
 * assert.ok(sets.every((s) => s.bytes >= 2 * s.keyBytes));
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface KvSet {
  /** Full key, prefix included. */
  key: Deno.KvKey;
  /** Value to store. */
  value: unknown;
  /**
   * What this set adds to the commit's total mutation size (`MAX_COMMIT_BYTES`):
   * the encoded key counted twice, as Deno KV does, plus the value size.
   */
  bytes: number;
  /** Encoded key size, counted against `MAX_TOTAL_KEY_BYTES` (80 KiB per commit). */
  keyBytes: number;
}

/**
 * The mutations that apply one payload, or why it is a poison record.
 *
 * @example Tell records from poison
 * ```ts
 * import { KvStore, type RecordPlan } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const plan: RecordPlan = store.recordMutations(new Uint8Array([9, 0, 0, 0, 0, 0, 0, 0, 0xa0]), new Uint8Array(32));
 * assert.ok(!plan.ok && plan.kind === "unknown-type");
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export type RecordPlan =
  | {
    /** The payload is a valid record that fits Deno KV. */
    ok: true;
    /** Its record type. */
    type: RecordType;
    /** Its content hash (the journal's digest as hex). */
    hash: string;
    /** The sets that apply it unconditionally; idempotent, so applying twice changes nothing. */
    sets: KvSet[];
    /** For a vote or an epoch: what is resolved against the stored winner at commit time. */
    resolve?: Resolvable;
  }
  | {
    /** The payload is a poison record. */
    ok: false;
    /** Poison kind. */
    kind: PoisonKind;
    /** Why, for the dead letter, starting with the kind, e.g. `invalid: …`. */
    reason: string;
  };

/**
 * Why a payload cannot be applied.
 *
 * @example Poison kinds
 * ```ts
 * import { type PoisonKind } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const kinds: PoisonKind[] = ["unknown-type", "undecodable", "invalid", "too-large"];
 * assert.equal(kinds.length, 4);
 * ```
 */
export type PoisonKind = "unknown-type" | "undecodable" | "invalid" | "too-large";

/**
 * A poison record, kept under `["_ingest", "dead", journalId, offset]`.
 *
 * @example Dead-letter a poison record
 * ```ts
 * import { type DeadLetter, KvStore } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const letter: DeadLetter = { journalId: "j1", offset: 0, reason: "undecodable: x", payload: new Uint8Array([1]) };
 * await store.commitBatch({ journalId: "j1", expect: null, sets: [], deadLetters: [letter], cursor: 45 });
 * assert.equal((await store.deadLetters("j1"))[0].reason, "undecodable: x");
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface DeadLetter {
  /** Journal the record came from (32 lowercase hex characters). */
  journalId: string;
  /** Offset of the record in that journal. */
  offset: number;
  /** Why it was not applied. */
  reason: string;
  /** Its payload, truncated to `MAX_DEAD_LETTER_PAYLOAD_BYTES` when stored. */
  payload: Uint8Array;
  /** Length of the full payload (set by the store when it reads a dead letter back). */
  payloadBytes?: number;
  /** When the dead letter was written, in ms since the Unix epoch (set by the store). */
  at?: number;
}

/**
 * Lag figures the ingestor may record with its cursor.
 *
 * @example Record lag with a commit
 * ```ts
 * import { type CursorLag, KvStore } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const lag: CursorLag = { bytes: 4096, records: 12 };
 * await store.commitBatch({ journalId: "j1", expect: null, sets: [], deadLetters: [], cursor: 8, lag });
 * assert.deepEqual((await store.cursors())[0].lag, lag);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface CursorLag {
  /** Bytes between the cursor and the journal's durable end. */
  bytes: number;
  /** Records behind, when known. */
  records?: number;
}

/**
 * A journal's ingest cursor as stored.
 *
 * @example List cursors
 * ```ts
 * import { type CursorInfo, KvStore } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * await store.commitBatch({ journalId: "j1", expect: null, sets: [], deadLetters: [], cursor: 8 });
 * const [info]: CursorInfo[] = await store.cursors();
 * assert.equal(info.offset, 8);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface CursorInfo {
  /** Journal id. */
  journalId: string;
  /** Next offset to ingest: every record below it is applied. */
  offset: number;
  /** When the cursor was last committed, in ms since the Unix epoch. */
  updatedAt: number;
  /** Lag recorded with the commit, if any. */
  lag?: CursorLag;
}

/**
 * A cursor read for a versionstamp-checked commit.
 *
 * @example Read a cursor before committing
 * ```ts
 * import { type CursorState, KvStore } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const state: CursorState = await store.readCursor("j1");
 * assert.deepEqual(state, { offset: null, versionstamp: null });
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface CursorState {
  /** Next offset to ingest, or `null` before the first commit. */
  offset: number | null;
  /** Versionstamp of the cursor key, or `null` if it does not exist. */
  versionstamp: string | null;
  /** Id of the commit that wrote the cursor, if it named itself (`CommitBatch.commit`). */
  commit?: string;
}

/**
 * One batch: sets, dead letters and the new cursor, committed atomically.
 *
 * @example Commit an empty batch that only moves the cursor
 * ```ts
 * import { type CommitBatch, KvStore } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const batch: CommitBatch = { journalId: "j1", expect: null, sets: [], deadLetters: [], cursor: 100 };
 * assert.ok((await store.commitBatch(batch)).ok);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface CommitBatch {
  /** Journal the batch was read from. */
  journalId: string;
  /** Versionstamp the cursor key must still have (`readCursor`), `null` if it must not exist. */
  expect: string | null;
  /** Sets from `recordMutations`. */
  sets: KvSet[];
  /** Poison records found in the batch. */
  deadLetters: DeadLetter[];
  /** New cursor: the offset just past the batch's last record. */
  cursor: number;
  /** Lag to record with the cursor. */
  lag?: CursorLag;
  /** Consumer name whose registered offset moves to `cursor` in the same commit. */
  consumer?: string;
  /**
   * Id of this commit (at most 64 characters), recorded with the cursor, so
   * that a committer whose answer was lost can tell its own commit landed
   * from another's: `readCursor().commit`.
   */
  commit?: string;
  /** Further checks (guards of resolved keys), beside the cursor's. */
  checks?: Deno.AtomicCheck[];
  /** Counter `sum` mutations (tallies). */
  sums?: KvSum[];
}

/**
 * Result of `commitBatch`.
 *
 * @example A stale expectation fails cleanly
 * ```ts
 * import { type CommitResult, KvStore } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * await store.commitBatch({ journalId: "j1", expect: null, sets: [], deadLetters: [], cursor: 1 });
 * const result: CommitResult = await store.commitBatch({ journalId: "j1", expect: null, sets: [], deadLetters: [], cursor: 2 });
 * assert.equal(result.ok, false);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface CommitResult {
  /** False when the cursor key changed since `expect`: nothing was applied. */
  ok: boolean;
  /** Versionstamp of the commit when `ok`. */
  versionstamp?: string;
}

/**
 * A registered journal consumer and its offset.
 *
 * @example Register a consumer
 * ```ts
 * import { type ConsumerInfo, KvStore } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * await store.setConsumer("j1", "backup", 64);
 * const [consumer]: ConsumerInfo[] = await store.consumers("j1");
 * assert.equal(consumer.offset, 64);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface ConsumerInfo {
  /** Consumer name. */
  name: string;
  /** Offset below which the consumer no longer needs the journal. */
  offset: number;
  /** When the offset was last set, in ms since the Unix epoch. */
  updatedAt: number;
}

/**
 * Options of paginated queries.
 *
 * @example Ask for a small page
 * ```ts
 * import { KvStore, type ListOptions } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const options: ListOptions = { limit: 5 };
 * assert.deepEqual(await store.listEpochs(options), { items: [], cursor: null });
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface ListOptions {
  /**
   * Most items to return.
   *
   * @default {100}
   */
  limit?: number;
  /**
   * Cursor from a previous page, to continue after it.
   *
   * @default {undefined}
   */
  cursor?: string;
}

/**
 * One page of results.
 *
 * @example Page through all epochs
 * ```ts
 * import { KvStore, type Page, type StoredEpoch } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * let cursor: string | undefined;
 * do {
 *   const page: Page<StoredEpoch> = await store.listEpochs({ limit: 100, cursor });
 *   assert.equal(page.items.length, 0);
 *   cursor = page.cursor ?? undefined;
 * } while (cursor);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface Page<T> {
  /** Items of this page, in key order. */
  items: T[];
  /** Cursor for the next page, or `null` when this was the last. */
  cursor: string | null;
}

/**
 * An assertion as stored, with its content hash.
 *
 * @example Read an assertion back
 * ```ts
 * import { KvStore, type StoredAssertion } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * import { contentHash, fromHex, serializeAssertion } from "@stemedb/ingest/records";
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const payload = serializeAssertion({
 *   subject: "earth", predicate: "orbits", object: "sun",
 *   source: "kepler", confidence: 1, timestamp: 0,
 * });
 * const digest = fromHex(await contentHash(payload));
 * const plan = store.recordMutations(payload, digest);
 * if (!plan.ok) throw new Error(plan.reason);
 * await store.commitBatch({ journalId: "j1", expect: null, sets: plan.sets, deadLetters: [], cursor: 1 });
 * const stored: StoredAssertion | null = await store.getAssertion(plan.hash);
 * assert.equal(stored?.hash, plan.hash);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface StoredAssertion extends Assertion {
  /** Content hash (BLAKE3-256 of the payload, hex). */
  hash: string;
}

/**
 * A vote as stored, with its content hash.
 *
 * @example List votes
 * ```ts
 * import { KvStore, type StoredVote } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const votes: StoredVote[] = (await store.listVotes("ab".repeat(32))).items;
 * assert.equal(votes.length, 0);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface StoredVote extends Vote {
  /** Content hash (BLAKE3-256 of the payload, hex). */
  hash: string;
}

/**
 * An epoch as stored, with the content hash of its payload.
 *
 * @example Get an epoch
 * ```ts
 * import { KvStore, type StoredEpoch } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const epoch: StoredEpoch | null = await store.getEpoch("0a");
 * assert.equal(epoch, null);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface StoredEpoch extends Epoch {
  /** Content hash of the payload stored for this id (hex). */
  hash: string;
}

/**
 * One commit's worth of records, from `CommitBuilder.take()`, ready for
 * `CommitBuilder.commit()`.
 *
 * @example Count what a commit carries
 * ```ts
 * import { CommitBuilder, KvStore, type PlannedCommit } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const store = await KvStore.open(":memory:");
 * const journalId = "0".repeat(32);
 * const builder = new CommitBuilder(store, { journalId });
 * const payload = new Uint8Array([1, 2, 3]); // not a record: dead-lettered
 * builder.add({ offset: 0, next: 43, payload, digest: new Uint8Array(32) });
 * const planned: PlannedCommit = builder.take()!;
 * assert.deepEqual([planned.applied, planned.deadLettered, planned.end], [0, 1, 43]);
 * store.close();
 * ```
 */
export interface PlannedCommit {
  /** The sets of every applied record, record by record. */
  sets: KvSet[];
  /** The votes and epochs among them, in journal order, resolved at commit time. */
  resolves: Resolvable[];
  /** The dead letters of this batch. */
  deadLetters: DeadLetter[];
  /** Records whose sets are in `sets`. */
  applied: number;
  /** Records in `deadLetters`. */
  deadLettered: number;
  /** Offset after the batch's last record: the cursor to commit. */
  end: number;
}
