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
 * @example Pack at most this many mutations per commit
 * ```ts
 * import { MAX_MUTATIONS } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_MUTATIONS, 1_000);
 * ```
 */
export const MAX_MUTATIONS = 1_000;

/**
 * Most bytes of mutations (and checked keys) in one atomic commit: 800 KiB.
 *
 * @example The commit size limit
 * ```ts
 * import { MAX_COMMIT_BYTES } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_COMMIT_BYTES, 819_200);
 * ```
 */
export const MAX_COMMIT_BYTES = 819_200;

/**
 * Most bytes of mutation keys in one atomic commit: 80 KiB (checks not included).
 *
 * @example The total key size limit
 * ```ts
 * import { MAX_TOTAL_KEY_BYTES } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_TOTAL_KEY_BYTES, 81_920);
 * ```
 */
export const MAX_TOTAL_KEY_BYTES = 81_920;

/**
 * Largest value: 64 KiB.
 *
 * @example The value size limit
 * ```ts
 * import { MAX_VALUE_BYTES } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_VALUE_BYTES, 65_536);
 * ```
 */
export const MAX_VALUE_BYTES = 65_536;

/**
 * Largest key written, after tuple encoding: 2 KiB (reads allow one byte more).
 *
 * @example The key size limit
 * ```ts
 * import { MAX_KEY_BYTES } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_KEY_BYTES, 2_048);
 * ```
 */
export const MAX_KEY_BYTES = 2_048;

/**
 * Most checks in one atomic commit.
 *
 * @example The check limit
 * ```ts
 * import { MAX_CHECKS } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_CHECKS, 100);
 * ```
 */
export const MAX_CHECKS = 100;

/**
 * Most keys in one `getMany` call (`MAX_READ_RANGES`).
 *
 * @example The getMany limit
 * ```ts
 * import { MAX_GET_MANY } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_GET_MANY, 10);
 * ```
 */
export const MAX_GET_MANY = 10;

/**
 * Most entries one list request returns in a batch (`MAX_READ_ENTRIES`).
 *
 * @example The list batch limit
 * ```ts
 * import { MAX_LIST_BATCH } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_LIST_BATCH, 1_000);
 * ```
 */
export const MAX_LIST_BATCH = 1_000;

/**
 * Largest encoded key prefix a store accepts; records bound the subject so
 * that `[...prefix, "S", subject, hash]` fits `MAX_KEY_BYTES`.
 *
 * @example The prefix limit
 * ```ts
 * import { MAX_PREFIX_BYTES } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_PREFIX_BYTES, 256);
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
 * @example The dead-letter payload cap
 * ```ts
 * import { MAX_DEAD_LETTER_PAYLOAD_BYTES } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_DEAD_LETTER_PAYLOAD_BYTES, 16_384);
 * ```
 */
export const MAX_DEAD_LETTER_PAYLOAD_BYTES = 16_384;
