/**
 * stemedb ingest: a durable write-ahead log for knowledge claims (assertions,
 * votes and epochs) and an ingestor that applies it to Deno KV exactly once.
 *
 * @module
 */
export * from "./src/wal/errors.ts";
