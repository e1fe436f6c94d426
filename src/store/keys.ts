/**
 * The store's Deno KV key layout under an optional prefix. docs/FORMAT.md
 * section 3 describes the same layout. Content hashes and digests in keys
 * (`assertionHash`, `voteHash`, `referencedHash`, `subjectPredicate`,
 * `voterDigest`, `hash`) are their 32 bytes (`Uint8Array`); epoch ids,
 * subjects and voters are strings. The methods take a hash as hex or as its
 * bytes (`HashPart`).
 *
 * | key                                        | value                   |
 * | ------------------------------------------ | ----------------------- |
 * | `[...p, "H", assertionHash]`               | assertion payload bytes |
 * | `[...p, "S", subject, assertionHash]`      | empty: subject index    |
 * | `[...p, "V", assertionHash, voteHash]`     | vote payload bytes      |
 * | `[...p, "E", epochIdHex]`                  | epoch payload bytes     |
 * | `[...p, "SL", subject]`                    | empty: subject list     |
 * | `[...p, "SP", subjectPredicate, hash]`     | empty: by predicate     |
 * | `[...p, "R", referencedHash, hash]`        | empty: referrers        |
 * | `[...p, "EA", epochIdHex, hash]`           | empty: epoch assertions |
 * | `[...p, "VH", hash, voterDigest, ts, vote]`| empty: voter history    |
 * | `[...p, "W", assertionHash, voter]`        | `WinnerValue`           |
 * | `[...p, "T", assertionHash, field]`        | `Deno.KvU64` counter    |
 * | `[...p, "_ingest", "guard", shard]`        | time of the last change |
 * | `[...p, "_meta", "layout"]`                | layout version (number) |
 * | `[...p, "_meta", "migration"]`             | migration progress      |
 * | `[...p, "_ingest", "cursor", journalId]`   | `CursorValue`           |
 * | `[...p, "_ingest", "dead", journalId, off]`| `DeadLetterValue`       |
 * | `[...p, "_ingest", "consumer", jid, name]` | `ConsumerValue`         |
 *
 * @module
 */

import { fromHex, toHex } from "../records/mod.ts";
import { keyBytes } from "./key_size.ts";
import { MAX_PREFIX_BYTES } from "./limits.ts";

/** Bytes of a content hash or digest in a key. */
const HASH_BYTES = 32;

/**
 * A content hash (or digest) as the key methods take it: 64 lowercase hex
 * characters, as the rest of the API does, or its 32 bytes (spares the
 * conversion when the caller has them; the key holds that very array, so it
 * must not change afterwards).
 *
 * @example The same key from hex and from bytes
 * ```ts
 * import { type HashPart, KeyLayout } from "@stemedb/ingest/store";
 * import { fromHex } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const keys = new KeyLayout();
 * const hex: HashPart = "ab".repeat(32);
 * assert.deepEqual(keys.assertion(hex), keys.assertion(fromHex(hex)));
 * ```
 */
export type HashPart = string | Uint8Array;

/** A content hash (or digest) as a key part: its 32 bytes. */
function hashPart(hash: HashPart): Uint8Array {
  if (typeof hash === "string") return fromHex(hash);
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_BYTES) {
    throw new TypeError(`Cannot use ${String(hash)} as a hash in a key: expected 32 bytes`);
  }
  return hash;
}

/**
 * The hash a key part holds, as 64 lowercase hex characters: the inverse of
 * the key methods' encoding of a content hash or digest.
 *
 * @throws {TypeError} If the part is not a 32-byte `Uint8Array`.
 */
export function hashOfPart(part: Deno.KvKeyPart): string {
  if (!(part instanceof Uint8Array) || part.length !== HASH_BYTES) {
    throw new TypeError(`Cannot read hash from key part ${String(part)}: expected 32 bytes`);
  }
  return toHex(part);
}

/** First key part of assertion payloads. */
export const ASSERTION_PART = "H";
/** First key part of the subject index. */
export const SUBJECT_PART = "S";
/** First key part of vote payloads. */
export const VOTE_PART = "V";
/** First key part of epoch payloads. */
export const EPOCH_PART = "E";
/** First key part of the subject list (one key per distinct subject). */
export const SUBJECT_LIST_PART = "SL";
/** First key part of the subject-and-predicate index. */
export const SUBJECT_PREDICATE_PART = "SP";
/** First key part of the reference index (assertions whose object is a reference). */
export const REFERENCE_PART = "R";
/** First key part of the epoch-to-assertions index. */
export const EPOCH_ASSERTION_PART = "EA";
/** First key part of the per-voter vote history. */
export const VOTER_HISTORY_PART = "VH";
/** First key part of each voter's winning vote on an assertion. */
export const WINNER_PART = "W";
/** First key part of the materialized tallies. */
export const TALLY_PART = "T";
/** First key part of the ingestor's own state. */
export const INGEST_PART = "_ingest";
/** First key part of the store's own metadata (layout version, migration). */
export const META_PART = "_meta";

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
  assertion(hash: HashPart): Deno.KvKey {
    return [...this.#prefix, ASSERTION_PART, hashPart(hash)];
  }

  /** `[...prefix, "H"]`: list prefix of all assertions. */
  assertions(): Deno.KvKey {
    return [...this.#prefix, ASSERTION_PART];
  }

  /** `[...prefix, "S", subject, hash]`: one subject-index entry. */
  subjectEntry(subject: string, hash: HashPart): Deno.KvKey {
    return [...this.#prefix, SUBJECT_PART, subject, hashPart(hash)];
  }

  /** `[...prefix, "S", subject]`: list prefix of a subject's assertions. */
  subject(subject: string): Deno.KvKey {
    return [...this.#prefix, SUBJECT_PART, subject];
  }

  /** `[...prefix, "V", assertionHash, voteHash]`: a vote's payload. */
  vote(assertionHash: HashPart, voteHash: HashPart): Deno.KvKey {
    return [...this.#prefix, VOTE_PART, hashPart(assertionHash), hashPart(voteHash)];
  }

  /** `[...prefix, "V", assertionHash]`: list prefix of an assertion's votes. */
  votes(assertionHash: HashPart): Deno.KvKey {
    return [...this.#prefix, VOTE_PART, hashPart(assertionHash)];
  }

  /** `[...prefix, "E", id]`: an epoch's payload. */
  epoch(id: string): Deno.KvKey {
    return [...this.#prefix, EPOCH_PART, id];
  }

  /** `[...prefix, "E"]`: list prefix of all epochs. */
  epochs(): Deno.KvKey {
    return [...this.#prefix, EPOCH_PART];
  }

  /** `[...prefix, "SL", subject]`: one subject of the subject list. */
  subjectListEntry(subject: string): Deno.KvKey {
    return [...this.#prefix, SUBJECT_LIST_PART, subject];
  }

  /** `[...prefix, "SL"]`: list prefix of all subjects. */
  subjectList(): Deno.KvKey {
    return [...this.#prefix, SUBJECT_LIST_PART];
  }

  /**
   * `[...prefix, "SP", subjectPredicate, hash]`: one entry of the index of
   * assertions by subject and predicate (`subjectPredicate` is their digest).
   */
  subjectPredicateEntry(subjectPredicate: HashPart, hash: HashPart): Deno.KvKey {
    return [
      ...this.#prefix,
      SUBJECT_PREDICATE_PART,
      hashPart(subjectPredicate),
      hashPart(hash),
    ];
  }

  /** `[...prefix, "SP", subjectPredicate]`: list prefix of one subject's assertions of one predicate. */
  subjectPredicate(subjectPredicate: HashPart): Deno.KvKey {
    return [...this.#prefix, SUBJECT_PREDICATE_PART, hashPart(subjectPredicate)];
  }

  /** `[...prefix, "R", referencedHash, hash]`: assertion `hash` has object `{ ref: referencedHash }`. */
  referenceEntry(referencedHash: HashPart, hash: HashPart): Deno.KvKey {
    return [...this.#prefix, REFERENCE_PART, hashPart(referencedHash), hashPart(hash)];
  }

  /** `[...prefix, "R", referencedHash]`: list prefix of the assertions referencing one. */
  references(referencedHash: HashPart): Deno.KvKey {
    return [...this.#prefix, REFERENCE_PART, hashPart(referencedHash)];
  }

  /** `[...prefix, "EA", epochId, hash]`: assertion `hash` names epoch `epochId`. */
  epochAssertionEntry(epochId: string, hash: HashPart): Deno.KvKey {
    return [...this.#prefix, EPOCH_ASSERTION_PART, epochId, hashPart(hash)];
  }

  /** `[...prefix, "EA", epochId]`: list prefix of an epoch's assertions. */
  epochAssertions(epochId: string): Deno.KvKey {
    return [...this.#prefix, EPOCH_ASSERTION_PART, epochId];
  }

  /**
   * `[...prefix, "VH", assertionHash, voterDigest, timestamp, voteHash]`: one
   * vote in a voter's history on an assertion, in time order.
   */
  voterHistoryEntry(
    assertionHash: HashPart,
    voterDigest: HashPart,
    vote: { timestamp: number; hash: HashPart },
  ): Deno.KvKey {
    return [
      ...this.#prefix,
      VOTER_HISTORY_PART,
      hashPart(assertionHash),
      hashPart(voterDigest),
      vote.timestamp,
      hashPart(vote.hash),
    ];
  }

  /** `[...prefix, "VH", assertionHash, voterDigest]`: list prefix of one voter's votes on one assertion. */
  voterHistory(assertionHash: HashPart, voterDigest: HashPart): Deno.KvKey {
    return [
      ...this.#prefix,
      VOTER_HISTORY_PART,
      hashPart(assertionHash),
      hashPart(voterDigest),
    ];
  }

  /** `[...prefix, "W", assertionHash, voter]`: the voter's winning vote on the assertion. */
  winner(assertionHash: HashPart, voter: string): Deno.KvKey {
    return [...this.#prefix, WINNER_PART, hashPart(assertionHash), voter];
  }

  /** `[...prefix, "W"]`: list prefix of every winner key. */
  winners(): Deno.KvKey {
    return [...this.#prefix, WINNER_PART];
  }

  /** `[...prefix, "T", assertionHash, field]`: one counter of an assertion's tally. */
  tally(assertionHash: HashPart, field: string): Deno.KvKey {
    return [...this.#prefix, TALLY_PART, hashPart(assertionHash), field];
  }

  /** `[...prefix, "T"]`: list prefix of every tally counter. */
  tallies(): Deno.KvKey {
    return [...this.#prefix, TALLY_PART];
  }

  /** `[...prefix, "V"]`: list prefix of every vote. */
  allVotes(): Deno.KvKey {
    return [...this.#prefix, VOTE_PART];
  }

  /** `[...prefix, "_ingest", "guard", shard]`: the guard of one shard of resolved keys. */
  guard(shard: number): Deno.KvKey {
    return [...this.#prefix, INGEST_PART, "guard", shard];
  }

  /** `[...prefix, "_meta", "layout"]`: the layout version the store was written with. */
  layout(): Deno.KvKey {
    return [...this.#prefix, META_PART, "layout"];
  }

  /** `[...prefix, "_meta", "migration"]`: where a migration in progress stands. */
  migration(): Deno.KvKey {
    return [...this.#prefix, META_PART, "migration"];
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
