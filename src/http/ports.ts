/**
 * The narrow views of the journal, store and ingestor the HTTP app uses.
 * `Journal`, `KvStore` and `Ingestor` satisfy them structurally; keeping the
 * app on these ports keeps its public types self-contained.
 *
 * @module
 */

import type { IngestStall, StatusJournal, StatusStore } from "../ingest/mod.ts";

/**
 * What the app needs from the journal (a `Journal` opened as the writer):
 * what `GET /status` reads, and appends.
 */
export interface JournalPort extends StatusJournal {
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
  /** An assertion by hash. */
  getAssertion(hash: string): Promise<object | null>;
  /** A subject's assertions. */
  listSubject(subject: string, options?: PageOptions): Promise<PageOf<object>>;
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
}

/** What the app needs from an ingestor running in the same process. */
export interface IngestorPort {
  /** Whether its background loop runs. */
  readonly running: boolean;
  /** Where it stopped at damage in the journal, `null` (or absent) if it has not. */
  readonly stalled?: IngestStall | null;
}
