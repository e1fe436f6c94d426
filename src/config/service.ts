/**
 * The whole ingest side of the service in one process: the journal (as the
 * writer), the store, and the ingestor tailing one into the other. The
 * command line's `serve`/`start` and the `deno serve` entry open it here and
 * put their HTTP app over it.
 *
 * @module
 */

import { Ingestor, LagTracker } from "../ingest/mod.ts";
import { type Journal, TimedFileLayer } from "../wal/mod.ts";
import type { KvStore } from "../store/mod.ts";
import { type DataConfig, openJournal, openStore } from "./data_dir.ts";

/** A running service: journal, store and a started ingestor. */
export interface Service {
  /** The journal, open as the writer. */
  journal: Journal;
  /** The store. */
  store: KvStore;
  /** The ingestor, started. */
  ingestor: Ingestor;
  /** The journal's exact lag, tracked in memory (backpressure, `/status`, metrics). */
  lag: LagTracker;
  /** Stop the ingestor, close the journal and the store. Idempotent. */
  close(): Promise<void>;
}

/** Open journal and store from `config` and start the ingestor over them. */
export async function openService(config: DataConfig): Promise<Service> {
  // Timed segment syncs feed the fdatasync metric and each group commit's span.
  const fs = new TimedFileLayer();
  const journal = await openJournal(config, { fs });
  let store: KvStore;
  let lag: LagTracker;
  try {
    store = await openStore(config);
    try {
      lag = await LagTracker.start(journal, store, { lastSyncMs: () => fs.lastSyncMs });
    } catch (error) {
      store.close();
      throw error;
    }
  } catch (error) {
    await journal.close();
    throw error;
  }
  const ingestor = new Ingestor(journal, store);
  ingestor.start();
  let closed: Promise<void> | null = null;
  return {
    journal,
    store,
    ingestor,
    lag,
    close() {
      closed ??= (async () => {
        try {
          await ingestor.stop();
        } finally {
          await lag.close();
          store.close();
          await journal.close();
        }
      })();
      return closed;
    },
  };
}
