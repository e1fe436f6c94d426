// One planned KV set, measured once: shared by record plans, index entries and ingest state.

import { keyBytes, setBytes, valueBytes } from "./key_size.ts";
import type { KvSet } from "./types.ts";

/** Builds a `KvSet`, measuring its key and value. */
export function kvSet(key: Deno.KvKey, value: unknown): KvSet {
  const k = keyBytes(key);
  return { key, value, keyBytes: k, bytes: setBytes(k, valueBytes(value)) };
}
