/**
 * Deno KV's limits, in one place. Values from denokv `proto/limits.rs` and
 * Deno's `ext/kv` configuration, confirmed against Deno 2.9.6's local SQLite
 * backend (tests/store/limits_test.ts commits at each boundary).
 *
 * How a commit is measured (measured, Deno 2.9.6): the total mutation size is
 * the sum of each check's key, each `set`'s key counted twice plus its value,
 * and each `delete`'s key; the total key size is the sum of mutation keys
 * (checks excluded). Keys are measured after tuple encoding (see `keyBytes`),
 * `Uint8Array` values by their length, other values by their V8 serialization.
 *
 * @module
 */

import { MAX_PREFIX_KEY_BYTES, MAX_SUBJECT_BYTES } from "../records/limits.ts";

/**
 * Most mutations in one atomic commit (`MAX_MUTATIONS`).
 *
 * @example Split writes into commits of at most this many mutations
 * ```ts
 * import { MAX_MUTATIONS } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * const keys = Array.from({ length: 2_500 }, (_, i) => ["n", i]);
 * let commits = 0;
 * for (let i = 0; i < keys.length; i += MAX_MUTATIONS) {
 *   const op = kv.atomic();
 *   for (const key of keys.slice(i, i + MAX_MUTATIONS)) op.set(key, true);
 *   assert.ok((await op.commit()).ok);
 *   commits++;
 * }
 * assert.equal(commits, 3);
 * kv.close();
 * ```
 */
export const MAX_MUTATIONS = 1_000;

/**
 * Most bytes of mutations (and checked keys) in one atomic commit: 800 KiB.
 *
 * @example Count how many large values fit one commit
 * ```ts
 * import { keyBytes, MAX_COMMIT_BYTES, valueBytes } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const key = ["blob", 1];
 * const value = new Uint8Array(60_000);
 * // A set counts its key twice, plus its value.
 * const perSet = 2 * keyBytes(key) + valueBytes(value);
 * assert.equal(Math.floor(MAX_COMMIT_BYTES / perSet), 13);
 * ```
 */
export const MAX_COMMIT_BYTES = 819_200;

/**
 * Most bytes of mutation keys in one atomic commit: 80 KiB (checks not included).
 *
 * @example Count how many long keys fit one commit
 * ```ts
 * import { keyBytes, MAX_TOTAL_KEY_BYTES } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const key = ["S", "x".repeat(1_000), "ab".repeat(32)];
 * const perCommit = Math.floor(MAX_TOTAL_KEY_BYTES / keyBytes(key));
 * assert.ok(perCommit < 100, `${perCommit} keys of ${keyBytes(key)} bytes`);
 * ```
 */
export const MAX_TOTAL_KEY_BYTES = 81_920;

/**
 * Largest value: 64 KiB.
 *
 * @example Refuse a value Deno KV would reject
 * ```ts
 * import { MAX_VALUE_BYTES, valueBytes } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const fits = (value: unknown) => valueBytes(value) <= MAX_VALUE_BYTES;
 * assert.equal(fits(new Uint8Array(1024)), true);
 * assert.equal(fits(new Uint8Array(MAX_VALUE_BYTES + 1)), false);
 * ```
 */
export const MAX_VALUE_BYTES = 65_536;

/**
 * Largest key written, after tuple encoding: 2 KiB (reads allow one byte more).
 *
 * @example Refuse a key Deno KV would reject
 * ```ts
 * import { keyBytes, MAX_KEY_BYTES } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const fits = (key: Deno.KvKey) => keyBytes(key) <= MAX_KEY_BYTES;
 * assert.equal(fits(["H", "ab".repeat(32)]), true);
 * assert.equal(fits(["S", "x".repeat(MAX_KEY_BYTES)]), false);
 * ```
 */
export const MAX_KEY_BYTES = 2_048;

/**
 * Most checks in one atomic commit: denokv's server (`proto/limits.rs`, and
 * so Deno Deploy and self-hosted denokv) allows 10; the local SQLite back end
 * allows 100. The store keeps to the lower bound so one commit works on both.
 *
 * @example Create many keys only if absent, at most this many checks a commit
 * ```ts
 * import { MAX_CHECKS } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * const keys = Array.from({ length: 250 }, (_, i) => ["k", i]);
 * for (let i = 0; i < keys.length; i += MAX_CHECKS) {
 *   const op = kv.atomic();
 *   for (const key of keys.slice(i, i + MAX_CHECKS)) op.check({ key, versionstamp: null }).set(key, 1);
 *   assert.ok((await op.commit()).ok);
 * }
 * kv.close();
 * ```
 */
export const MAX_CHECKS = 10;

/**
 * Guard shards of resolved keys (winners and epochs): a commit that changes
 * a resolved key checks and bumps its shard's guard, so a commit checks at
 * most this many guards plus its cursor, one under `MAX_CHECKS` to spare.
 *
 * @example A commit's checks stay within the limit
 * ```ts
 * import { GUARD_SHARDS, MAX_CHECKS } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const cursorCheck = 1;
 * assert.ok(cursorCheck + GUARD_SHARDS <= MAX_CHECKS);
 * ```
 */
export const GUARD_SHARDS = 8;

/**
 * Most keys in one `getMany` call (`MAX_READ_RANGES`).
 *
 * @example Read many keys in chunks of this many
 * ```ts
 * import { MAX_GET_MANY } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const kv = await Deno.openKv(":memory:");
 * const keys = Array.from({ length: 25 }, (_, i) => ["k", i]);
 * const entries = [];
 * for (let i = 0; i < keys.length; i += MAX_GET_MANY) {
 *   entries.push(...await kv.getMany(keys.slice(i, i + MAX_GET_MANY)));
 * }
 * assert.equal(entries.length, 25);
 * kv.close();
 * ```
 */
export const MAX_GET_MANY = 10;

/**
 * Most entries one list request returns in a batch (`MAX_READ_ENTRIES`).
 *
 * @example Ask for the largest page a list returns
 * ```ts
 * import { KvStore, MAX_LIST_BATCH } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const store = await KvStore.open(":memory:");
 * const page = await store.listSubject("earth", { limit: MAX_LIST_BATCH });
 * assert.deepEqual(page, { items: [], cursor: null });
 * await assert.rejects(() => store.listSubject("earth", { limit: MAX_LIST_BATCH + 1 }), RangeError);
 * store.close();
 * ```
 */
export const MAX_LIST_BATCH = 1_000;

/**
 * Largest encoded key prefix a store accepts; records bound the subject so
 * that `[...prefix, "S", subject, hash]` fits `MAX_KEY_BYTES`.
 *
 * @example Check a tenant prefix before opening a store
 * ```ts
 * import { keyBytes, KvStore, MAX_PREFIX_BYTES } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const prefix = ["tenant", "acme"];
 * assert.ok(keyBytes(prefix) <= MAX_PREFIX_BYTES);
 * const store = await KvStore.open(":memory:", { prefix });
 * store.close();
 * ```
 */
export const MAX_PREFIX_BYTES: number = MAX_PREFIX_KEY_BYTES;

/** Largest subject in UTF-8 bytes, re-exported from the record bounds. */
export { MAX_SUBJECT_BYTES };

/**
 * Payload bytes kept in a dead letter: enough to inspect a poison record,
 * small enough that many dead letters fit one commit. The full payload stays
 * in the journal until cleanup.
 *
 * @example A stored dead letter keeps the start of a large payload
 * ```ts
 * import { KvStore, MAX_DEAD_LETTER_PAYLOAD_BYTES } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const store = await KvStore.open(":memory:");
 * const payload = new Uint8Array(20_000);
 * const letter = { journalId: "j1", offset: 0, reason: "invalid: demo", payload };
 * await store.commitBatch({ journalId: "j1", expect: null, sets: [], deadLetters: [letter], cursor: 20_048 });
 * const [stored] = await store.deadLetters("j1");
 * assert.equal(stored.payload.length, MAX_DEAD_LETTER_PAYLOAD_BYTES);
 * store.close();
 * ```
 */
export const MAX_DEAD_LETTER_PAYLOAD_BYTES = 16_384;

/**
 * Page size of every list when no `limit` is given: the store's queries, the
 * HTTP list routes and the `query` command.
 *
 * @example Page through a subject's assertions
 * ```ts
 * import { DEFAULT_PAGE_LIMIT, KvStore } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const store = await KvStore.open(":memory:");
 * let cursor: string | undefined;
 * let pages = 0;
 * do {
 *   const page = await store.listSubject("earth", { limit: DEFAULT_PAGE_LIMIT, cursor });
 *   cursor = page.cursor ?? undefined;
 *   pages++;
 * } while (cursor !== undefined);
 * assert.equal(pages, 1);
 * store.close();
 * ```
 */
export const DEFAULT_PAGE_LIMIT = 100;
