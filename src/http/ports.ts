/**
 * The narrow views of the journal, store and ingestor the HTTP app uses.
 * `Journal`, `KvStore` and `Ingestor` satisfy them structurally; keeping the
 * app on these ports keeps its public types self-contained.
 *
 * @module
 */

import type { IngestStall, StatusJournal, StatusStore } from "../ingest/mod.ts";
import type { KnowledgeRecord } from "../records/mod.ts";

/**
 * What the app needs from the journal (a `Journal` opened as the writer):
 * what `GET /status` reads, and appends.
 */
export interface JournalPort extends StatusJournal {
  /** Whether the journal is closed (`GET /health` is then not ok). */
  readonly closed?: boolean;
  /** Append one payload; resolves once durable. */
  append(payload: Uint8Array): Promise<{ offset: number; next: number; digest: Uint8Array }>;
  /** Append payloads with one write and one sync; resolves once durable. */
  appendBatch(
    payloads: Uint8Array[],
  ): Promise<{ offset: number; next: number; digest: Uint8Array }[]>;
}

/** Paging options of list queries. */
export interface PageOptions {
  /** Page size. */
  limit?: number;
  /** Continue from this cursor. */
  cursor?: string;
}

/** One page of results. */
export interface PageOf<T> {
  /** The items. */
  items: T[];
  /** Cursor of the next page, `null` at the end. */
  cursor: string | null;
}

/** What the app needs from the store (a `KvStore`): what `GET /status` reads, and the queries. */
export interface StorePort extends StatusStore {
  /** Whether the store is closed (`GET /health` is then not ok). */
  readonly closed?: boolean;
  /** An assertion by hash. */
  getAssertion(hash: string): Promise<object | null>;
  /** A subject's assertions, optionally only those of one predicate. */
  listSubject(
    subject: string,
    options?: PageOptions & { predicate?: string },
  ): Promise<PageOf<object>>;
  /** The distinct subjects, optionally only those starting with a prefix. */
  listSubjects(options?: PageOptions & { prefix?: string }): Promise<PageOf<object>>;
  /** The assertions whose object references an assertion. */
  listReferrers(hash: string, options?: PageOptions): Promise<PageOf<object>>;
  /** The assertions that name an epoch. */
  listEpochAssertions(id: string, options?: PageOptions): Promise<PageOf<object>>;
  /** Every vote one voter cast on an assertion, oldest first. */
  listVoterVotes(
    assertionHash: string,
    voter: string,
    options?: PageOptions,
  ): Promise<PageOf<object>>;
  /** A referential check for the records of one write request. */
  referenceCheck(options?: { allowUnknown?: boolean }): ReferenceCheckPort;
  /** The votes on an assertion. */
  listVotes(assertionHash: string, options?: PageOptions): Promise<PageOf<object>>;
  /** The tally of the votes on an assertion. */
  tally(assertionHash: string): Promise<object>;
  /** An epoch by id. */
  getEpoch(id: string): Promise<object | null>;
  /** Epochs. */
  listEpochs(options?: PageOptions): Promise<PageOf<object>>;
  /** A journal's ingest cursor. */
  readCursor(journalId: string): Promise<{ offset: number | null }>;
  /** For each payload, whether it is already stored or repeats an earlier one; see `KvStore.findStored()`. */
  findStored(payloads: readonly Uint8Array[]): Promise<boolean[]>;
}

/** What the write routes need from a referential check (a `ReferenceCheck`). */
export interface ReferenceCheckPort {
  /**
   * The problem with each record's references, in order (each record
   * without one is then known to the records after it), or null; the store
   * is read once up front for what the records name.
   */
  checkAll(
    records: readonly { record: KnowledgeRecord; payload: Uint8Array }[],
  ): Promise<
    ({
      code: "unknown_assertion" | "unknown_epoch" | "epoch_exists";
      field: string;
      message: string;
    } | null)[]
  >;
}

/**
 * What the app reads of the lag (a `LagTracker`): the current figures without
 * I/O for backpressure and `/metrics`, an exact count for `/status`, and the
 * group commit a write's records were made durable by, for its span.
 */
export interface LagPort {
  /** The lag as last tracked. */
  readonly lag: {
    records: number;
    bytes: number;
    seconds: number;
    exact: boolean;
    applyRate: number;
  };
  /** Records between two offsets, where the index covers them. */
  count(from: number, to: number): number | undefined;
  /** Hand over an append's results, so their records are indexed without a read. */
  observe(results: readonly { offset: number; next: number }[]): void;
  /** Resolves once everything durable so far is indexed. */
  settled(): Promise<void>;
  /** The group commit that made the record ending at `next` durable. */
  group(
    next: number,
  ): Promise<{ from: number; end: number; records: number; syncMs?: number } | undefined>;
}

/** What the app needs from an ingestor running in the same process. */
export interface IngestorPort {
  /** Whether its background loop runs. */
  readonly running: boolean;
  /**
   * Resolves once the record at `offset` is applied; see `Ingestor.waitFor()`.
   * An ingestor without it (one on a worker thread) answers `?wait=ingested`
   * with `Stemedb-Ingested: false`.
   */
  waitFor?(offset: number, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<void>;
  /** Where it stopped at damage in the journal, `null` (or absent) if it has not. */
  readonly stalled?: IngestStall | null;
}
