/**
 * The whole ingest side of the service in one worker: a journal shard (as its
 * one writer), the store, and the ingestor tailing one into the other, with
 * cleanup of what every consumer has read. The command line's `serve`/`start`
 * and the `deno serve` entry open it here and put their HTTP app over it;
 * several workers on one data directory each claim a shard of their own
 * (`shards.ts`) and share the store. The read-only reader opens the store
 * alone.
 *
 * @module
 */

import { type CleanupOptions, Ingestor, LagTracker } from "../ingest/mod.ts";
import { Journal, type JournalOptions, TimedFileLayer } from "../wal/mod.ts";
import type { KvStore } from "../store/mod.ts";
import { type DataConfig, openStore } from "./data_dir.ts";
import { claimShard, listShards } from "./shards.ts";

/** Longest a closing service spends applying its shard's last records. */
const FINAL_PASS_MS = 2000;

/** Options of {@linkcode openService}. */
export interface ServiceOptions {
  /**
   * Options of the shard's journal (segment size, durability); never `readOnly`.
   * @default {{}}
   */
  journal?: Omit<JournalOptions, "readOnly">;
  /**
   * What cleanup keeps of the journal every consumer has read: sealed
   * segments are deleted after commits unless this retention keeps them.
   * `false` turns cleanup off.
   * @default {{}} (keep nothing already read)
   */
  retention?: CleanupOptions | false;
  /**
   * Period of the ingestor's poll, in milliseconds.
   * @default {250}
   */
  pollIntervalMs?: number;
}

/** A running service: a journal shard, the store and a started ingestor. */
export interface Service {
  /** The shard's journal, open as its writer. */
  journal: Journal;
  /** The shard number (0 for `<data>/wal`). */
  shard: number;
  /** The store. */
  store: KvStore;
  /** The ingestor of this shard, started. */
  ingestor: Ingestor;
  /** The shard journal's exact lag, tracked in memory (backpressure, `/status`, metrics). */
  lag: LagTracker;
  /** Whether `close()` has begun. */
  readonly closed: boolean;
  /**
   * Every shard of the data directory: this one's writer first, the others
   * open read-only (opened once, refreshed by each status report).
   */
  journals(): Promise<Journal[]>;
  /**
   * Stop the ingestor (after a last pass over what is durable), close the
   * journals and the store. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Claim the first free journal shard of `config`, open the store and start
 * the shard's ingestor. Shards nobody writes any more (a worker that crashed,
 * or more workers last time) are caught up once in the background, so what
 * they acknowledged becomes queryable.
 */
export async function openService(
  config: DataConfig,
  options: ServiceOptions = {},
): Promise<Service> {
  // Timed segment syncs feed the fdatasync metric and each group commit's span.
  const fs = new TimedFileLayer();
  const { index, journal } = await claimShard(config, { ...options.journal, fs });
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
  const halt = new AbortController();
  const cleanup = options.retention ?? {};
  const ingestor = new Ingestor(journal, store, {
    cleanup,
    pollIntervalMs: options.pollIntervalMs,
    signal: halt.signal,
  });
  ingestor.start();
  const readers = new Map<string, Journal>();
  const journals = async (): Promise<Journal[]> => {
    const others: Journal[] = [];
    for (const shard of await listShards(config)) {
      if (shard.index === index || halt.signal.aborted) continue;
      let reader = readers.get(shard.dir);
      if (reader === undefined) {
        // A shard a writer has just created may have no metadata yet: next time.
        reader = await Journal.open(shard.dir, { readOnly: true }).catch(() => undefined);
        if (reader === undefined) continue;
        if (halt.signal.aborted) {
          await reader.close();
          continue;
        }
        readers.set(shard.dir, reader);
      }
      others.push(reader);
    }
    return [journal, ...others];
  };
  const catchUp = catchUpOthers(journals, store, halt.signal);
  let closed: Promise<void> | null = null;
  return {
    journal,
    shard: index,
    store,
    ingestor,
    get closed() {
      return closed !== null;
    },
    journals,
    lag,
    close() {
      closed ??= (async () => {
        try {
          halt.abort();
          await Promise.all([ingestor.stop(), catchUp]);
          await finalPass(journal, store, cleanup);
        } finally {
          await lag.close();
          store.close();
          for (const reader of readers.values()) await reader.close();
          await journal.close();
        }
      })();
      return closed;
    },
  };
}

/**
 * Apply every shard but the first up to the durable end it had when this
 * began, once; stops when `signal` aborts. A shard whose writer is alive is
 * applied by that writer too, harmlessly; the bound keeps this from tailing it.
 */
async function catchUpOthers(
  journals: () => Promise<Journal[]>,
  store: KvStore,
  signal: AbortSignal,
): Promise<void> {
  try {
    const [, ...others] = await journals();
    for (const other of others) {
      const target = await other.refresh();
      const ingestor = new Ingestor(other, store, { signal });
      while (!signal.aborted) {
        const report = await ingestor.runOnce();
        if (report.caughtUp || report.to >= target) break;
      }
    }
  } catch (error) {
    if (!signal.aborted) console.error(error);
  }
}

/** What is durable in the shard when it closes is applied now rather than at the next start. */
async function finalPass(
  journal: Journal,
  store: KvStore,
  cleanup: CleanupOptions | false,
): Promise<void> {
  const ingestor = new Ingestor(journal, store, { cleanup });
  await ingestor.runOnce({ timeBudgetMs: FINAL_PASS_MS }).catch((error) => console.error(error));
}

/** A read-only reader: the store alone, no journal and (with a remote KV) no file. */
export interface ReaderService {
  /** The store every read is answered from. */
  store: KvStore;
  /** Whether `close()` has been called. */
  readonly closed: boolean;
  /** Close the store. Idempotent. */
  close(): Promise<void>;
}

/**
 * Open the store of `config` for a reader that serves queries from the KV
 * alone, as an edge reader with no disk does: nothing is created or written.
 */
export async function openReaderService(config: DataConfig): Promise<ReaderService> {
  const store = await openStore(config, { create: false });
  let closed = false;
  return {
    store,
    get closed() {
      return closed;
    },
    close() {
      closed = true;
      store.close();
      return Promise.resolve();
    },
  };
}
