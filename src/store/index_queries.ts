/**
 * Queries served by the indexes of `index_sets.ts`: the subject list (with a
 * prefix), a subject's assertions of one predicate, the assertions that
 * reference an assertion, an epoch's assertions and a voter's votes on an
 * assertion. Each is one cursor-paginated list over one index, then a
 * `getMany` of the payloads the entries point at.
 *
 * @module
 */

import { listPage } from "./_page.ts";
import { recordsAt } from "./_stored.ts";
import { subjectPredicateDigest, voterDigest } from "./index_digest.ts";
import type { KeyLayout } from "./keys.ts";
import { checkEpochId, checkHash, checkSubject } from "./queries.ts";
import type { ListOptions, Page, StoredAssertion, StoredVote } from "./types.ts";

/**
 * Options of `KvStore.listSubjects`.
 *
 * @example List the subjects that start with "mar"
 * ```ts
 * import { KvStore, type SubjectListOptions } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const store = await KvStore.open(":memory:");
 * const options: SubjectListOptions = { prefix: "mar", limit: 10 };
 * assert.deepEqual(await store.listSubjects(options), { items: [], cursor: null });
 * store.close();
 * ```
 */
export interface SubjectListOptions extends ListOptions {
  /**
   * Only subjects that start with this text (compared by code point, as
   * Deno KV orders strings).
   *
   * @default {""}
   */
  prefix?: string;
}

/**
 * One subject of the subject list.
 *
 * @example Read the subjects of a page
 * ```ts
 * import { KvStore, type SubjectEntry } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const store = await KvStore.open(":memory:");
 * const subjects: SubjectEntry[] = (await store.listSubjects()).items;
 * assert.deepEqual(subjects.map((s) => s.subject), []);
 * store.close();
 * ```
 */
export interface SubjectEntry {
  /** The subject, as assertions name it. */
  subject: string;
}

/**
 * Options of `KvStore.listSubject`.
 *
 * @example List a subject's assertions of one predicate
 * ```ts
 * import { KvStore, type SubjectQueryOptions } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const store = await KvStore.open(":memory:");
 * const options: SubjectQueryOptions = { predicate: "orbits" };
 * assert.deepEqual((await store.listSubject("earth", options)).items, []);
 * store.close();
 * ```
 */
export interface SubjectQueryOptions extends ListOptions {
  /**
   * Only assertions with exactly this predicate.
   *
   * @default {undefined} (every predicate)
   */
  predicate?: string;
}

/** A page of the assertions an index lists under `prefix` (each key ends with the hash). */
async function assertionsAt(
  kv: Deno.Kv,
  keys: KeyLayout,
  query: { action: string; prefix: Deno.KvKey },
  options: ListOptions | undefined,
): Promise<Page<StoredAssertion>> {
  const page = await listPage<unknown>(kv, query.action, query.prefix, options);
  return recordsAt(kv, page, { type: "assertion", payloadKey: (hash) => keys.assertion(hash) });
}

/**
 * The smallest string greater than every string that starts with `prefix`,
 * or null when there is none (the prefix is all U+10FFFF): Deno KV orders
 * strings by their UTF-8 bytes, which is code point order.
 */
function successor(prefix: string): string | null {
  const points = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (points.length > 0 && points[points.length - 1] === 0x10ffff) points.pop();
  if (points.length === 0) return null;
  let last = points[points.length - 1] + 1;
  if (last === 0xd800) last = 0xe000; // surrogates are not code points of well-formed text
  points[points.length - 1] = last;
  return String.fromCodePoint(...points);
}

/** The selector of the subject-list entries that start with `prefix`. */
function subjectRange(keys: KeyLayout, prefix: string): Deno.KvListSelector {
  const all = keys.subjectList();
  if (prefix === "") return { prefix: all };
  const start = keys.subjectListEntry(prefix);
  const after = successor(prefix);
  return after === null ? { prefix: all, start } : { start, end: keys.subjectListEntry(after) };
}

/** A page of the distinct subjects (optionally those starting with a prefix), in order. */
export async function listSubjects(
  kv: Deno.Kv,
  keys: KeyLayout,
  options?: SubjectListOptions,
): Promise<Page<SubjectEntry>> {
  const prefix = checkSubject("list subjects by prefix", options?.prefix ?? "");
  if (!prefix.isWellFormed()) {
    throw new TypeError("Cannot list subjects by prefix: it holds a lone surrogate");
  }
  const page = await listPage<unknown>(kv, "list subjects", subjectRange(keys, prefix), options);
  return {
    items: page.items.map((entry) => ({ subject: String(entry.key[entry.key.length - 1]) })),
    cursor: page.cursor,
  };
}

/** A page of the assertions about `subject` with exactly `predicate`, in hash order. */
export async function listSubjectPredicate(
  kv: Deno.Kv,
  keys: KeyLayout,
  query: { subject: string; predicate: string },
  options?: ListOptions,
): Promise<Page<StoredAssertion>> {
  const action = "list subject by predicate";
  const subject = checkSubject(action, query.subject);
  if (typeof query.predicate !== "string") {
    throw new TypeError(`Cannot ${action}: predicate must be a string`);
  }
  const prefix = keys.subjectPredicate(subjectPredicateDigest(subject, query.predicate));
  return await assertionsAt(kv, keys, { action, prefix }, options);
}

/** A page of the assertions whose object is `{ ref: hash }`, in hash order. */
export async function listReferrers(
  kv: Deno.Kv,
  keys: KeyLayout,
  hash: string,
  options?: ListOptions,
): Promise<Page<StoredAssertion>> {
  const action = "list referrers";
  const prefix = keys.references(checkHash(action, hash));
  return await assertionsAt(kv, keys, { action, prefix }, options);
}

/** A page of the assertions that name epoch `id`, in hash order. */
export async function listEpochAssertions(
  kv: Deno.Kv,
  keys: KeyLayout,
  id: string,
  options?: ListOptions,
): Promise<Page<StoredAssertion>> {
  const action = "list epoch assertions";
  const prefix = keys.epochAssertions(checkEpochId(action, id));
  return await assertionsAt(kv, keys, { action, prefix }, options);
}

/**
 * A page of `voter`'s votes on `assertionHash`, oldest first (by timestamp,
 * then vote hash): every vote they cast on it, not only the one that counts.
 */
export async function listVoterVotes(
  kv: Deno.Kv,
  keys: KeyLayout,
  query: { assertion: string; voter: string },
  options?: ListOptions,
): Promise<Page<StoredVote>> {
  const action = "list voter votes";
  const assertion = checkHash(action, query.assertion);
  if (typeof query.voter !== "string" || query.voter === "") {
    throw new TypeError(`Cannot ${action}: voter must be a non-empty string`);
  }
  const prefix = keys.voterHistory(assertion, voterDigest(query.voter));
  const page = await listPage<unknown>(kv, action, prefix, options);
  return await recordsAt(kv, page, {
    type: "vote",
    payloadKey: (hash) => keys.vote(assertion, hash),
  });
}
