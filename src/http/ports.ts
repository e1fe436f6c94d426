/**
 * The narrow views of the journal, store and ingestor the HTTP app uses.
 * `Journal`, `KvStore` and `Ingestor` satisfy them structurally; keeping the
 * app on these ports keeps its public types self-contained.
 *
 * @module
 */

/** What the app needs from the journal (a `Journal` opened as the writer). */
export interface JournalPort {
  /** Journal id, 32 lowercase hex characters. */
  readonly id: string;
  /** Journal directory. */
  readonly dir: string;
  /** Whether the journal was opened read-only. */
  readonly readOnly: boolean;
  /** End of durable data. */
  readonly durableOffset: number;
  /** Base offset of the oldest segment. */
  readonly firstOffset: number;
  /** Append one payload; resolves once durable. */
  append(payload: Uint8Array): Promise<{ offset: number; next: number; digest: Uint8Array }>;
  /** Append payloads with one write and one sync; resolves once durable. */
  appendBatch(
    payloads: Uint8Array[],
  ): Promise<{ offset: number; next: number; digest: Uint8Array }[]>;
  /** Records from `offset` up to the durable end (or `options.end`). */
  readFrom(offset: number, options?: { end?: number }): AsyncIterable<unknown>;
  /** Re-read the published durable end (readers). */
  refresh(): Promise<number>;
  /** The segment files, oldest first. */
  segments(): Promise<{ base: number; end: number; path: string; sealed: boolean }[]>;
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

/** What the app needs from the store (a `KvStore`). */
export interface StorePort {
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
  /** Every journal's cursor. */
  cursors(): Promise<{ journalId: string; offset: number; updatedAt: number }[]>;
  /** A journal's dead letters. */
  deadLetters(
    journalId?: string,
    options?: { limit?: number },
  ): Promise<{ offset: number; reason: string; payload: Uint8Array; payloadBytes?: number }[]>;
}

/** What the app needs from an ingestor running in the same process. */
export interface IngestorPort {
  /** Whether its background loop runs. */
  readonly running: boolean;
}
