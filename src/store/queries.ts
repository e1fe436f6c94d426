/**
 * Read queries over the store's key layout. Every stored payload is decoded
 * with `decodeRecord`, so readers see exactly what the records module accepts.
 *
 * @module
 */

import { contentHash, isEpochId, isHash } from "../records/mod.ts";
import { HASH_HEX_LENGTH, MAX_EPOCH_ID_BYTES, MAX_SUBJECT_BYTES } from "../records/limits.ts";
import { listPage } from "./_page.ts";
import { decodeAs, recordsAt } from "./_stored.ts";
import { hashOfPart, type KeyLayout } from "./keys.ts";
import type { ListOptions, Page, StoredAssertion, StoredEpoch, StoredVote } from "./types.ts";

/** Throws TypeError unless `hash` is a 64-character lowercase hex hash. */
export function checkHash(action: string, hash: unknown): string {
  if (!isHash(hash)) {
    throw new TypeError(
      `Cannot ${action}: expected ${HASH_HEX_LENGTH} lowercase hex characters, got "${
        String(hash).slice(0, 80)
      }"`,
    );
  }
  return hash;
}

/** Throws TypeError unless `id` is an epoch id (2–64 lowercase hex characters). */
export function checkEpochId(action: string, id: unknown): string {
  if (!isEpochId(id)) {
    throw new TypeError(
      `Cannot ${action}: expected an epoch id of 2 to ${
        2 * MAX_EPOCH_ID_BYTES
      } lowercase hex characters, got "${String(id).slice(0, 80)}"`,
    );
  }
  return id;
}

/** Throws TypeError or RangeError unless `subject` could be a stored subject. */
export function checkSubject(action: string, subject: unknown): string {
  if (typeof subject !== "string") {
    throw new TypeError(`Cannot ${action}: expected a string, got ${typeof subject}`);
  }
  const size = new TextEncoder().encode(subject).length;
  if (size > MAX_SUBJECT_BYTES) {
    throw new RangeError(
      `Cannot ${action}: it is ${size} UTF-8 bytes, more than ${MAX_SUBJECT_BYTES}`,
    );
  }
  return subject;
}

/** The assertion with content hash `hash`, or null. */
export async function getAssertion(
  kv: Deno.Kv,
  keys: KeyLayout,
  hash: string,
): Promise<StoredAssertion | null> {
  const key = keys.assertion(checkHash("get assertion", hash));
  const entry = await kv.get<Uint8Array>(key);
  if (entry.value === null) return null;
  return { hash, ...decodeAs("assertion", entry.value, key) };
}

/** Whether the assertion with content hash `hash` is stored. */
export async function hasAssertion(kv: Deno.Kv, keys: KeyLayout, hash: string): Promise<boolean> {
  const entry = await kv.get(keys.assertion(checkHash("check assertion", hash)));
  return entry.versionstamp !== null;
}

/** A page of the assertions about `subject`, in hash order. */
export async function listSubject(
  kv: Deno.Kv,
  keys: KeyLayout,
  subject: string,
  options?: ListOptions,
): Promise<Page<StoredAssertion>> {
  checkSubject("list subject", subject);
  const page = await listPage<unknown>(kv, "list subject", keys.subject(subject), options);
  return recordsAt(kv, page, { type: "assertion", payloadKey: (hash) => keys.assertion(hash) });
}

/** A page of the votes on `assertionHash`, in vote-hash order. */
export async function listVotes(
  kv: Deno.Kv,
  keys: KeyLayout,
  assertionHash: string,
  options?: ListOptions,
): Promise<Page<StoredVote>> {
  const prefix = keys.votes(checkHash("list votes", assertionHash));
  const page = await listPage<Uint8Array>(kv, "list votes", prefix, options);
  return {
    items: page.items.map((entry) => ({
      hash: hashOfPart(entry.key[entry.key.length - 1]),
      ...decodeAs("vote", entry.value, entry.key),
    })),
    cursor: page.cursor,
  };
}

async function storedEpoch(payload: Uint8Array, key: Deno.KvKey): Promise<StoredEpoch> {
  return { hash: await contentHash(payload), ...decodeAs("epoch", payload, key) };
}

/** The epoch with id `id`, or null. */
export async function getEpoch(
  kv: Deno.Kv,
  keys: KeyLayout,
  id: string,
): Promise<StoredEpoch | null> {
  const key = keys.epoch(checkEpochId("get epoch", id));
  const entry = await kv.get<Uint8Array>(key);
  return entry.value === null ? null : await storedEpoch(entry.value, key);
}

/** A page of all epochs, in id order. */
export async function listEpochs(
  kv: Deno.Kv,
  keys: KeyLayout,
  options?: ListOptions,
): Promise<Page<StoredEpoch>> {
  const page = await listPage<Uint8Array>(kv, "list epochs", keys.epochs(), options);
  const items: StoredEpoch[] = [];
  for (const entry of page.items) items.push(await storedEpoch(entry.value, entry.key));
  return { items, cursor: page.cursor };
}
