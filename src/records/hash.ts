/**
 * Content hashes of payloads.
 *
 * @module
 */

import { blake3 } from "hash-wasm";

/**
 * BLAKE3-256 of a whole payload as 64 lowercase hex characters: the digest the
 * journal stores beside each record, so the ingest path never hashes twice
 * (the store takes the journal's digest and hex-encodes it with `toHex`).
 *
 * @example Hash a payload
 * ```ts
 * import { contentHash, serializeEpoch } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const payload = serializeEpoch({ id: "01", name: "e", description: "", startTime: 0 });
 * assert.deepEqual((await contentHash(payload)).length, 64);
 * ```
 */
export function contentHash(payload: Uint8Array): Promise<string> {
  return blake3(payload, 256);
}
