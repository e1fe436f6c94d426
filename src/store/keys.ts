/**
 * The store's Deno KV key layout under an optional prefix. docs/FORMAT.md
 * section 3 describes the same layout.
 *
 * | key                                        | value                   |
 * | ------------------------------------------ | ----------------------- |
 * | `[...p, "H", assertionHash]`               | assertion payload bytes |
 * | `[...p, "S", subject, assertionHash]`      | assertionHash (string)  |
 * | `[...p, "V", assertionHash, voteHash]`     | vote payload bytes      |
 * | `[...p, "E", epochIdHex]`                  | epoch payload bytes     |
 * | `[...p, "_ingest", "cursor", journalId]`   | `CursorValue`           |
 * | `[...p, "_ingest", "dead", journalId, off]`| `DeadLetterValue`       |
 * | `[...p, "_ingest", "consumer", jid, name]` | `ConsumerValue`         |
 *
 * @module
 */

import { keyBytes } from "./key_size.ts";
import { MAX_PREFIX_BYTES } from "./limits.ts";

/** First key part of assertion payloads. */
export const ASSERTION_PART = "H";
/** First key part of the subject index. */
export const SUBJECT_PART = "S";
/** First key part of vote payloads. */
export const VOTE_PART = "V";
/** First key part of epoch payloads. */
export const EPOCH_PART = "E";
/** First key part of the ingestor's own state. */
export const INGEST_PART = "_ingest";

/**
 * Builds every key the store reads or writes, under one prefix.
 *
 * @example Build keys under a prefix
 * ```ts
 * import { KeyLayout } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const keys = new KeyLayout(["tenant", 7]);
 * assert.deepEqual(keys.epoch("0a"), ["tenant", 7, "E", "0a"]);
 * ```
 */
export class KeyLayout {
  #prefix: Deno.KvKey;

  /**
   * Creates a layout under `prefix`.
   *
   * @throws {RangeError} If the encoded prefix exceeds `MAX_PREFIX_BYTES`.
   */
  constructor(prefix: Deno.KvKey = []) {
    if (!Array.isArray(prefix)) {
      throw new TypeError(`Cannot use key prefix ${String(prefix)}: expected an array`);
    }
    const size = keyBytes(prefix);
    if (size > MAX_PREFIX_BYTES) {
      throw new RangeError(
        `Cannot use key prefix: encodes to ${size} bytes, more than ${MAX_PREFIX_BYTES}`,
      );
    }
    this.#prefix = [...prefix];
  }

  /** The prefix every key starts with. */
  get prefix(): Deno.KvKey {
    return [...this.#prefix];
  }

  /** `[...prefix, "H", hash]`: an assertion's payload. */
  assertion(hash: string): Deno.KvKey {
    return [...this.#prefix, ASSERTION_PART, hash];
  }

  /** `[...prefix, "S", subject, hash]`: one subject-index entry. */
  subjectEntry(subject: string, hash: string): Deno.KvKey {
    return [...this.#prefix, SUBJECT_PART, subject, hash];
  }

  /** `[...prefix, "S", subject]`: list prefix of a subject's assertions. */
  subject(subject: string): Deno.KvKey {
    return [...this.#prefix, SUBJECT_PART, subject];
  }

  /** `[...prefix, "V", assertionHash, voteHash]`: a vote's payload. */
  vote(assertionHash: string, voteHash: string): Deno.KvKey {
    return [...this.#prefix, VOTE_PART, assertionHash, voteHash];
  }

  /** `[...prefix, "V", assertionHash]`: list prefix of an assertion's votes. */
  votes(assertionHash: string): Deno.KvKey {
    return [...this.#prefix, VOTE_PART, assertionHash];
  }

  /** `[...prefix, "E", id]`: an epoch's payload. */
  epoch(id: string): Deno.KvKey {
    return [...this.#prefix, EPOCH_PART, id];
  }

  /** `[...prefix, "E"]`: list prefix of all epochs. */
  epochs(): Deno.KvKey {
    return [...this.#prefix, EPOCH_PART];
  }

  /** `[...prefix, "_ingest", "cursor", journalId]`: a journal's ingest cursor. */
  cursor(journalId: string): Deno.KvKey {
    return [...this.#prefix, INGEST_PART, "cursor", journalId];
  }

  /** `[...prefix, "_ingest", "cursor"]`: list prefix of all cursors. */
  cursors(): Deno.KvKey {
    return [...this.#prefix, INGEST_PART, "cursor"];
  }

  /** `[...prefix, "_ingest", "dead", journalId, offset]`: one dead letter. */
  deadLetter(journalId: string, offset: number): Deno.KvKey {
    return [...this.#prefix, INGEST_PART, "dead", journalId, offset];
  }

  /** `[...prefix, "_ingest", "dead"(, journalId)]`: list prefix of dead letters. */
  deadLetters(journalId?: string): Deno.KvKey {
    const key = [...this.#prefix, INGEST_PART, "dead"];
    return journalId === undefined ? key : [...key, journalId];
  }

  /** `[...prefix, "_ingest", "consumer", journalId, name]`: a consumer's read offset. */
  consumer(journalId: string, name: string): Deno.KvKey {
    return [...this.#prefix, INGEST_PART, "consumer", journalId, name];
  }

  /** `[...prefix, "_ingest", "consumer", journalId]`: list prefix of a journal's consumers. */
  consumers(journalId: string): Deno.KvKey {
    return [...this.#prefix, INGEST_PART, "consumer", journalId];
  }
}
