/**
 * What every route handler of the HTTP app can reach.
 *
 * @module
 */

import type { StatusJournal } from "../ingest/mod.ts";
import type { IngestorPort, JournalPort, LagPort, StorePort } from "./ports.ts";

/** Shared state of one HTTP app. */
export interface AppContext {
  /** The journal writes are appended to; none on a read-only reader. */
  journal?: JournalPort;
  /** Every journal `GET /status` reports on, `journal` first. */
  journals: () => Promise<StatusJournal[]>;
  /** The store reads are answered from. */
  store: StorePort;
  /** The ingestor running in this process, if any. */
  ingestor?: IngestorPort;
  /** The exact lag of the journal, kept in memory, if tracked. */
  lag?: LagPort;
  /** Request body limit in bytes. */
  maxBodyBytes: number;
  /** Longest the body of a request may take to arrive, in ms. */
  bodyTimeoutMs: number;
  /** Longest a write with `?wait=ingested` waits for the ingestor, in ms. */
  waitTimeoutMs: number;
}
