// Reading more keys than one `getMany` may take, shared by the store's reads.

import { MAX_GET_MANY } from "./limits.ts";

/**
 * The entries of every one of `keys`, in their order: `read` is called with
 * at most `MAX_GET_MANY` keys (denokv's limit per `getMany`), all calls at
 * once, so the caller chooses the consistency and any deadline per call.
 */
export async function getManyChunked<T>(
  keys: readonly Deno.KvKey[],
  read: (chunk: Deno.KvKey[]) => Promise<Deno.KvEntryMaybe<T>[]>,
): Promise<Deno.KvEntryMaybe<T>[]> {
  const calls: Promise<Deno.KvEntryMaybe<T>[]>[] = [];
  for (let i = 0; i < keys.length; i += MAX_GET_MANY) {
    calls.push(read(keys.slice(i, i + MAX_GET_MANY)));
  }
  return (await Promise.all(calls)).flat();
}
