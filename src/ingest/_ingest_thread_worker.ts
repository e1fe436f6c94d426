/**
 * For `IngestThread` only: the worker thread's side. It opens the journal as
 * a reader and its own store on the same location, and runs an ordinary
 * `Ingestor` over them, woken through the shared durable counter the writer
 * bumps on each durable advance. Each commit's cursor, each error the loop
 * meets (with the stall, if it is one) and the end of a stop are posted back.
 * The thread owns nothing of the process.
 *
 * @module
 */

import { Journal } from "../wal/mod.ts";
import { KvStore } from "../store/mod.ts";
import { Ingestor } from "./ingestor.ts";
import type { IngestThreadMessage, IngestThreadReport } from "./ingest_thread.ts";

const thread = globalThis as unknown as {
  onmessage: ((event: MessageEvent<IngestThreadMessage>) => void) | null;
  postMessage(report: IngestThreadReport): void;
};

interface Running {
  ingestor: Ingestor;
  store: KvStore;
  journal: Journal;
}

let running: Running | null = null;

/**
 * Wake-ups from the counter the writer bumps: `Atomics.waitAsync` costs the
 * writer one `Atomics.notify` per durable advance and nothing while this
 * thread is busy (the bumps coalesce), where a message would be cloned and
 * queued each time.
 */
function counterWakeups(counter: Int32Array): (wake: () => void) => () => void {
  return (wake) => {
    let ended = false;
    (async () => {
      let seen = Atomics.load(counter, 0);
      while (!ended) {
        const waited = Atomics.waitAsync(counter, 0, seen);
        if (waited.async) await waited.value;
        if (ended) break;
        seen = Atomics.load(counter, 0);
        wake();
      }
    })();
    // A wait still pending does not keep the thread alive; the owner ends it after "stopped".
    return () => ended = true;
  };
}

async function start(message: Extract<IngestThreadMessage, { kind: "start" }>): Promise<void> {
  const journal = await Journal.open(message.journalDir, { readOnly: true });
  let store: KvStore;
  try {
    store = await KvStore.open(message.kv, { timeoutMs: message.kvTimeoutMs });
  } catch (error) {
    await journal.close();
    throw error;
  }
  const ingestor: Ingestor = new Ingestor(journal, store, {
    pollIntervalMs: message.pollIntervalMs,
    batchRecords: message.batchRecords,
    wakeSource: counterWakeups(new Int32Array(message.durableCounter)),
    onCommit: (cursor) => thread.postMessage({ kind: "committed", cursor }),
    onError: (error) => {
      const { name, message } = error instanceof Error
        ? error
        : { name: "Error", message: String(error) };
      thread.postMessage({ kind: "error", name, message, stalled: ingestor.stalled });
    },
  });
  ingestor.start();
  running = { ingestor, store, journal };
  thread.postMessage({ kind: "started" });
}

async function stop(): Promise<void> {
  const current = running;
  running = null;
  if (current === null) return;
  try {
    await current.ingestor.stop();
  } finally {
    current.store.close();
    await current.journal.close();
  }
}

thread.onmessage = (event) => {
  const message = event.data;
  const failed = (error: unknown) =>
    thread.postMessage({ kind: "failed", message: String((error as Error)?.message ?? error) });
  if (message.kind === "start") start(message).catch(failed);
  else stop().then(() => thread.postMessage({ kind: "stopped" }), failed);
};

// A start posted before this module is evaluated could be lost: the owner waits for this first.
thread.postMessage({ kind: "ready" });
