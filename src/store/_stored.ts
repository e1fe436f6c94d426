// Reading stored payloads back: typed decoding, and the payloads an index page points at.

import { type Assertion, decodeRecord, type Epoch, type Vote } from "../records/mod.ts";
import { hashOfPart } from "./keys.ts";
import { MAX_GET_MANY } from "./limits.ts";
import type { Page } from "./types.ts";

/** Record value type per record type name. */
type ValueOf = { assertion: Assertion; vote: Vote; epoch: Epoch };

/** Decodes a stored payload, failing if it holds another record type than `type`. */
export function decodeAs<T extends keyof ValueOf>(
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

/**
 * The records a page of index entries points at: each entry's key ends with
 * a content hash, `payloadKey` gives where that record's payload lives, read
 * in `getMany` chunks, in the page's order.
 */
export async function recordsAt<T extends "assertion" | "vote">(
  kv: Deno.Kv,
  page: Page<Deno.KvEntry<unknown>>,
  read: { type: T; payloadKey: (hash: string) => Deno.KvKey },
): Promise<Page<ValueOf[T] & { hash: string }>> {
  const hashes = page.items.map((entry) => hashOfPart(entry.key[entry.key.length - 1]));
  const items: (ValueOf[T] & { hash: string })[] = [];
  for (let i = 0; i < hashes.length; i += MAX_GET_MANY) {
    const chunk = hashes.slice(i, i + MAX_GET_MANY);
    const entries = await kv.getMany<Uint8Array[]>(chunk.map(read.payloadKey));
    entries.forEach((entry, j) => {
      // The index and the payload are written in one commit, so a miss means
      // the payload was removed by hand; skip it rather than fail the page.
      if (entry.value !== null) {
        items.push({ hash: chunk[j], ...decodeAs(read.type, entry.value, entry.key) });
      }
    });
  }
  return { items, cursor: page.cursor };
}
