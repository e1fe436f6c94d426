/**
 * Which payloads are already in the store: what idempotent appends (`POST
 * ?dedupe=true`, `append --dedupe`, `demo`) skip. A record is stored when the
 * key that would hold its payload (`H` or `V`, the first set `planRecord`
 * makes, or an epoch's `E`, which it resolves at commit) holds exactly its
 * bytes, so an epoch redefined under the same id is not taken for a duplicate.
 *
 * @module
 */

import { contentHash, fromHex } from "../records/mod.ts";
import type { KeyLayout } from "./keys.ts";
import { MAX_GET_MANY } from "./limits.ts";
import { planRecord } from "./plan.ts";

/** `getMany` calls in flight at once: enough to hide a remote KV's round trips. */
const CONCURRENT_READS = 8;

/**
 * For each payload, whether it is already stored or repeats an earlier one
 * of `payloads` (byte for byte, so the same content hash). Poison payloads
 * (that the ingestor would dead-letter) count as not stored.
 */
export async function findStored(
  kv: Deno.Kv,
  keys: KeyLayout,
  payloads: readonly Uint8Array[],
): Promise<boolean[]> {
  const stored = new Array<boolean>(payloads.length).fill(false);
  const seen = new Set<string>();
  const lookups: { index: number; key: Deno.KvKey; payload: Uint8Array }[] = [];
  for (let i = 0; i < payloads.length; i++) {
    const hash = await contentHash(payloads[i]);
    if (seen.has(hash)) {
      stored[i] = true;
      continue;
    }
    seen.add(hash);
    const plan = planRecord(keys, payloads[i], fromHex(hash));
    if (!plan.ok) continue;
    // An epoch's payload key is resolved at commit (the version kept), not set unconditionally.
    const key = plan.resolve?.kind === "epoch" ? plan.resolve.set.key : plan.sets[0].key;
    lookups.push({ index: i, key, payload: payloads[i] });
  }
  const chunks: (typeof lookups)[] = [];
  for (let i = 0; i < lookups.length; i += MAX_GET_MANY) {
    chunks.push(lookups.slice(i, i + MAX_GET_MANY));
  }
  for (let i = 0; i < chunks.length; i += CONCURRENT_READS) {
    await Promise.all(
      chunks.slice(i, i + CONCURRENT_READS).map(async (chunk) => {
        const entries = await kv.getMany<unknown[]>(chunk.map((l) => l.key));
        entries.forEach((entry, j) => {
          stored[chunk[j].index] = sameBytes(entry.value, chunk[j].payload);
        });
      }),
    );
  }
  return stored;
}

function sameBytes(value: unknown, payload: Uint8Array): boolean {
  return value instanceof Uint8Array && value.byteLength === payload.byteLength &&
    value.every((byte, i) => byte === payload[i]);
}
