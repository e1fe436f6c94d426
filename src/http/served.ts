/**
 * The app over what the settings ask for: a journal shard with its ingestor,
 * or the KV alone for a read-only reader. One function serves the
 * `deno serve` entry (settings from the environment) and `stemedb serve`
 * (settings from flags over the environment), so both run the same service
 * from the same settings.
 *
 * @module
 */

import type { DataConfig } from "../config/data_dir.ts";
import { openReaderService, openService } from "../config/service.ts";
import type { ServiceEnvSettings } from "../config/service_env.ts";
import { type App, createApp } from "./app.ts";

/** The app and how to close what it serves. */
export interface Served {
  /** The HTTP app. */
  app: App;
  /** The journal shard this process writes; `null` for a read-only reader. */
  journal: { dir: string; id: string; shard: number } | null;
  /** Stop the ingestor, close journal and store. */
  close(): Promise<void>;
}

/** Open the service (or the read-only reader) that `settings` describe over `config`. */
export async function openServed(
  config: DataConfig,
  settings: ServiceEnvSettings,
): Promise<Served> {
  const { token, protectReads, maxBodyBytes, bodyTimeoutMs, maxInflightWrites } = settings;
  const http = { token, protectReads, maxBodyBytes, bodyTimeoutMs, maxInflightWrites };
  if (settings.readOnly) {
    const reader = await openReaderService(config);
    return { app: createApp({ store: reader.store, ...http }), journal: null, close: reader.close };
  }
  const service = await openService(config, {
    retention: settings.retention ?? {},
    journal: settings.segmentBytes === undefined ? {} : { segmentBytes: settings.segmentBytes },
  });
  const { journal, store, ingestor, journals, lag } = service;
  const app = createApp({
    journal,
    journals,
    store,
    ingestor,
    lag,
    maxLagRecords: settings.maxLagRecords,
    ...http,
  });
  return {
    app,
    journal: { dir: journal.dir, id: journal.id, shard: service.shard },
    close: service.close,
  };
}
