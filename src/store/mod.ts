/**
 * Knowledge records in Deno KV: the key layout, Deno KV's limits, the
 * ingestion primitives the ingestor commits through, and the queries.
 *
 * @example Open a store on a temporary SQLite file
 * ```ts
 * import { KvStore } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`, { prefix: ["demo"] });
 * assert.deepEqual(await store.getEpoch("0a"), null);
 * assert.deepEqual(await store.readCursor("j1"), { offset: null, versionstamp: null });
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export { KvStore } from "./kv_store.ts";
export type { KvStoreOptions } from "./open_kv.ts";
export type { BatchBudgetOptions } from "./batch_budget.ts";
export type { DeadLetterListOptions } from "./ingest_state.ts";
export type { CommitCost } from "./commit.ts";
export {
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  backoffDelay,
  type BackoffOptions,
  type DeadlineOptions,
  DEFAULT_KV_TIMEOUT_MS,
  sleep,
  withDeadline,
} from "./deadline.ts";
export {
  KV_TOKEN_VARIABLE,
  KvAuthError,
  type KvFailureKind,
  kvFailureKind,
  kvTarget,
  KvTimeoutError,
} from "./kv_errors.ts";
export {
  CommitBuilder,
  type CommitBuilderOptions,
  type CommitOptions,
  type CommitRecord,
  TOO_LARGE_REASON,
} from "./commit_builder.ts";
export { InvalidCursorError } from "./errors.ts";
export { MAX_COMMIT_ID_LENGTH } from "./ingest_state.ts";
export { type HashPart, KeyLayout } from "./keys.ts";
export { requireUnstable, UnstableApiError, type UnstableFeature } from "./unstable.ts";
export { type IndexedRecord, indexSets } from "./index_sets.ts";
export {
  type CheckedRecord,
  ReferenceCheck,
  type ReferenceCheckOptions,
  type ReferenceCheckStore,
  type ReferenceProblem,
  type ReferenceProblemCode,
} from "./reference_check.ts";
export { subjectPredicateDigest, voterDigest } from "./index_digest.ts";
export type { SubjectEntry, SubjectListOptions, SubjectQueryOptions } from "./index_queries.ts";
export { LAYOUT_VERSION, StoreLayoutError, type StoreLayoutErrorKind } from "./layout.ts";
export {
  type MigrateOptions,
  type MigrateReport,
  migrateStore,
  type MigrationProgress,
} from "./migrate.ts";
export { compareVersions, type Version } from "./precedence.ts";
export { keyBytes, valueBytes } from "./key_size.ts";
export {
  DEFAULT_PAGE_LIMIT,
  GUARD_SHARDS,
  MAX_CHECKS,
  MAX_COMMIT_BYTES,
  MAX_DEAD_LETTER_PAYLOAD_BYTES,
  MAX_GET_MANY,
  MAX_KEY_BYTES,
  MAX_LIST_BATCH,
  MAX_MUTATIONS,
  MAX_PREFIX_BYTES,
  MAX_TOTAL_KEY_BYTES,
  MAX_VALUE_BYTES,
} from "./limits.ts";
export type {
  CommitBatch,
  CommitResult,
  ConsumerInfo,
  CursorInfo,
  CursorLag,
  CursorState,
  DeadLetter,
  KvSet,
  ListOptions,
  Page,
  PlannedCommit,
  PoisonKind,
  RecordPlan,
  StoredAssertion,
  StoredEpoch,
  StoredVote,
} from "./types.ts";
export type { KvSum, Resolvable, Tally, WinnerValue } from "./consensus_types.ts";
