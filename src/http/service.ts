/**
 * The whole service in one process: the journal (writer), the store, the
 * ingestor tailing the journal into the store, and the HTTP app over both.
 *
 * @module
 */

import { Ingestor } from "../ingest/mod.ts";
import { type DataConfig, openJournal, openStore } from "../config/data_dir.ts";
import { type App, createApp } from "./app.ts";
import type { Journal } from "../wal/mod.ts";
import type { KvStore } from "../store/mod.ts";

/** Options for {@linkcode openService}. */
export interface ServiceOptions {
  /**
   * Bearer token for writes (and reads with `protectReads`).
   * @default undefined (no auth)
   */
  token?: string;
  /**
   * Whether reads need the token too.
   * @default false
   */
  protectReads?: boolean;
  /**
   * Request body limit in bytes.
   * @default 1048576
   */
  maxBodyBytes?: number;
}

/** A running service. */
export interface Service {
  /** The journal, open as the writer. */
  journal: Journal;
  /** The store. */
  store: KvStore;
  /** The ingestor, started. */
  ingestor: Ingestor;
  /** The HTTP app. */
  app: App;
  /** Stop the ingestor, close the journal and the store. */
  close(): Promise<void>;
}

/** Open journal and store, start the ingestor and build the app. */
export async function openService(
  config: DataConfig,
  options: ServiceOptions = {},
): Promise<Service> {
  const journal = await openJournal(config);
  let store: KvStore;
  try {
    store = await openStore(config);
  } catch (error) {
    await journal.close();
    throw error;
  }
  const ingestor = new Ingestor(journal, store);
  ingestor.start();
  const app = createApp({ journal, store, ingestor, ...options });
  let closed: Promise<void> | null = null;
  return {
    journal,
    store,
    ingestor,
    app,
    close() {
      closed ??= (async () => {
        try {
          await ingestor.stop();
        } finally {
          store.close();
          await journal.close();
        }
      })();
      return closed;
    },
  };
}
