/**
 * The worker side of {@linkcode WorkerIngestor}: opens the journal read-only
 * and the store on the paths it is given, runs an {@linkcode Ingestor} over
 * them (woken by the journal directory's changes: the writer rewrites its
 * durable-end file after every sync), and answers `stop`.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { Journal } from "../wal/mod.ts";
import { KvStore } from "../store/mod.ts";
import { Ingestor } from "./ingestor.ts";
import type { WorkerReply, WorkerRequest } from "./worker_ingestor.ts";

let opened: { journal: Journal; store: KvStore; ingestor: Ingestor } | null = null;

function reply(message: WorkerReply): void {
  self.postMessage(message);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  if (request.kind === "start") {
    try {
      const journal = await Journal.open(request.walDir, { readOnly: true });
      let store: KvStore;
      try {
        store = await KvStore.open(request.kv);
      } catch (error) {
        await journal.close();
        throw error;
      }
      const ingestor = new Ingestor(journal, store, {
        ...request.options,
        onError: (error) => reply({ kind: "error", message: messageOf(error) }),
      });
      ingestor.start();
      opened = { journal, store, ingestor };
      reply({ kind: "started" });
    } catch (error) {
      reply({ kind: "failed", message: messageOf(error) });
    }
    return;
  }
  // "stop": the pass in progress commits, then everything closes.
  if (opened !== null) {
    const { journal, store, ingestor } = opened;
    opened = null;
    try {
      await ingestor.stop();
    } finally {
      store.close();
      await journal.close();
    }
  }
  reply({ kind: "stopped" });
};
