/**
 * Shapes the store hands to the ingestor and to readers.
 *
 * @module
 */

import type { Assertion, Epoch, RecordType, Vote } from "../records/mod.ts";

/** One `set` mutation, with what it costs against the commit limits. */
export interface KvSet {
  /** Full key, prefix included. */
  key: Deno.KvKey;
  /** Value to store. */
  value: unknown;
  /**
   * What this set adds to the commit's total mutation size (`MAX_COMMIT_BYTES`):
   * the encoded key counted twice, as Deno KV does, plus the value size.
   */
  bytes: number;
  /** Encoded key size, counted against `MAX_TOTAL_KEY_BYTES` (80 KiB per commit). */
  keyBytes: number;
}

/** The mutations that apply one payload, or why it is a poison record. */
export type RecordPlan =
  | {
    /** The payload is a valid record that fits Deno KV. */
    ok: true;
    /** Its record type. */
    type: RecordType;
    /** Its content hash (the journal's digest as hex). */
    hash: string;
    /** The sets that apply it; idempotent, so applying twice changes nothing. */
    sets: KvSet[];
  }
  | {
    /** The payload is a poison record. */
    ok: false;
    /** Poison kind. */
    kind: PoisonKind;
    /** Why, for the dead letter, starting with the kind, e.g. `invalid: …`. */
    reason: string;
  };

/** Why a payload cannot be applied. */
export type PoisonKind = "unknown-type" | "undecodable" | "invalid" | "too-large";

/** A poison record, kept under `["_ingest", "dead", journalId, offset]`. */
export interface DeadLetter {
  /** Journal the record came from (32 lowercase hex characters). */
  journalId: string;
  /** Offset of the record in that journal. */
  offset: number;
  /** Why it was not applied. */
  reason: string;
  /** Its payload, truncated to `MAX_DEAD_LETTER_PAYLOAD_BYTES` when stored. */
  payload: Uint8Array;
  /** Length of the full payload (set by the store when it reads a dead letter back). */
  payloadBytes?: number;
  /** When the dead letter was written, in ms since the Unix epoch (set by the store). */
  at?: number;
}

/** Lag figures the ingestor may record with its cursor. */
export interface CursorLag {
  /** Bytes between the cursor and the journal's durable end. */
  bytes: number;
  /** Records behind, when known. */
  records?: number;
}

/** A journal's ingest cursor as stored. */
export interface CursorInfo {
  /** Journal id. */
  journalId: string;
  /** Next offset to ingest: every record below it is applied. */
  offset: number;
  /** When the cursor was last committed, in ms since the Unix epoch. */
  updatedAt: number;
  /** Lag recorded with the commit, if any. */
  lag?: CursorLag;
}

/** A cursor read for a versionstamp-checked commit. */
export interface CursorState {
  /** Next offset to ingest, or `null` before the first commit. */
  offset: number | null;
  /** Versionstamp of the cursor key, or `null` if it does not exist. */
  versionstamp: string | null;
}

/** One batch: sets, dead letters and the new cursor, committed atomically. */
export interface CommitBatch {
  /** Journal the batch was read from. */
  journalId: string;
  /** Versionstamp the cursor key must still have (`readCursor`), `null` if it must not exist. */
  expect: string | null;
  /** Sets from `recordMutations`. */
  sets: KvSet[];
  /** Poison records found in the batch. */
  deadLetters: DeadLetter[];
  /** New cursor: the offset just past the batch's last record. */
  cursor: number;
  /** Lag to record with the cursor. */
  lag?: CursorLag;
  /** Consumer name whose registered offset moves to `cursor` in the same commit. */
  consumer?: string;
}

/** Result of `commitBatch`. */
export interface CommitResult {
  /** False when the cursor key changed since `expect`: nothing was applied. */
  ok: boolean;
  /** Versionstamp of the commit when `ok`. */
  versionstamp?: string;
}

/** A registered journal consumer and its offset. */
export interface ConsumerInfo {
  /** Consumer name. */
  name: string;
  /** Offset below which the consumer no longer needs the journal. */
  offset: number;
  /** When the offset was last set, in ms since the Unix epoch. */
  updatedAt: number;
}

/** Options of paginated queries. */
export interface ListOptions {
  /**
   * Most items to return.
   *
   * @default {100}
   */
  limit?: number;
  /**
   * Cursor from a previous page, to continue after it.
   *
   * @default {undefined}
   */
  cursor?: string;
}

/** One page of results. */
export interface Page<T> {
  /** Items of this page, in key order. */
  items: T[];
  /** Cursor for the next page, or `null` when this was the last. */
  cursor: string | null;
}

/** An assertion as stored, with its content hash. */
export interface StoredAssertion extends Assertion {
  /** Content hash (BLAKE3-256 of the payload, hex). */
  hash: string;
}

/** A vote as stored, with its content hash. */
export interface StoredVote extends Vote {
  /** Content hash (BLAKE3-256 of the payload, hex). */
  hash: string;
}

/** An epoch as stored, with the content hash of its payload. */
export interface StoredEpoch extends Epoch {
  /** Content hash of the payload stored for this id (hex). */
  hash: string;
}

/** The votes on one assertion, each distinct vote counted once. */
export interface Tally {
  /** Number of distinct votes. */
  count: number;
  /** Sum of their values. */
  sum: number;
  /** `sum / count`, or 0 when there are no votes. */
  mean: number;
  /** Votes with value > 0. */
  up: number;
  /** Votes with value < 0. */
  down: number;
  /** Votes with value 0. */
  neutral: number;
}
