/**
 * stemedb ingest: a durable write-ahead log for knowledge claims (assertions,
 * votes and epochs) and an ingestor that applies it to Deno KV exactly once.
 *
 * This module re-exports the four library layers; each is also importable on
 * its own: `@stemedb/ingest/wal`, `/records`, `/store`, `/ingest` (and
 * `/http` for the edge service).
 *
 * @example Append an assertion and query it once ingested
 * ```ts
 * import assert from "node:assert/strict";
 * import { Ingestor, Journal, KvStore, serializeAssertion, toHex } from "@stemedb/ingest";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(`${dir}/wal`);
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const ingestor = new Ingestor(journal, store);
 *
 * const { digest } = await journal.append(serializeAssertion({
 *   subject: "earth",
 *   predicate: "orbits",
 *   object: "sun",
 *   source: "kepler",
 *   confidence: 0.99,
 *   timestamp: 0,
 * }));
 * await ingestor.runOnce();
 *
 * const stored = await store.getAssertion(toHex(digest));
 * assert.equal(stored?.object, "sun");
 * assert.equal((await store.listSubject("earth")).items.length, 1);
 *
 * store.close();
 * await journal.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export * from "./src/wal/mod.ts";
export * from "./src/records/mod.ts";
export * from "./src/store/mod.ts";
export * from "./src/ingest/mod.ts";
