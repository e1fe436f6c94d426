/**
 * Read queries over the store's key layout. Every stored payload is decoded
 * with `decodeRecord`, so readers see exactly what the records module accepts.
 *
 * @module
 */

import {
  type Assertion,
  contentHash,
  decodeRecord,
  type Epoch,
  isEpochId,
  isHash,
  type Vote,
} from "../records/mod.ts";
import { HASH_HEX_LENGTH, MAX_EPOCH_ID_BYTES, MAX_SUBJECT_BYTES } from "../records/limits.ts";
import { listPage } from "./_page.ts";
import type { KeyLayout } from "./keys.ts";
import { MAX_GET_MANY } from "./limits.ts";
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

/** Record value type per record type name. */
type ValueOf = { assertion: Assertion; vote: Vote; epoch: Epoch };

function decodeAs<T extends keyof ValueOf>(
  type: T,
  payload: Uint8Array,
  key: Deno.KvKey,
): ValueOf[T] {
  const record = decodeRecord(payload);
  if (record.type !== type) {
    throw new TypeError(
      `Cannot read ${type} at ${JSON.stringify(key)}: the stored payload is a ${record.type}`,
    );
  }
  return record.value as ValueOf[T];
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
  if (typeof subject !== "string") {
    throw new TypeError(`Cannot list subject: expected a string, got ${typeof subject}`);
  }
  const size = new TextEncoder().encode(subject).length;
  if (size > MAX_SUBJECT_BYTES) {
    throw new RangeError(
      `Cannot list subject: it is ${size} UTF-8 bytes, more than ${MAX_SUBJECT_BYTES}`,
    );
  }
  const page = await listPage<string>(kv, "list subject", keys.subject(subject), options);
  const hashes = page.items.map((entry) => entry.value);
  const items: StoredAssertion[] = [];
  for (let i = 0; i < hashes.length; i += MAX_GET_MANY) {
    const chunk = hashes.slice(i, i + MAX_GET_MANY);
    const entries = await kv.getMany<Uint8Array[]>(chunk.map((hash) => keys.assertion(hash)));
    entries.forEach((entry, j) => {
      // The index and the payload are written in one commit, so a miss means
      // the payload was removed by hand; skip it rather than fail the page.
      if (entry.value !== null) {
        items.push({ hash: chunk[j], ...decodeAs("assertion", entry.value, entry.key) });
      }
    });
  }
  return { items, cursor: page.cursor };
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
      hash: String(entry.key[entry.key.length - 1]),
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
