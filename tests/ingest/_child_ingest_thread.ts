/**
 * Child process for the ingest thread's SIGKILL test: opens a journal as its
 * writer and a store, starts an `IngestThread` over them, and prints the
 * committed cursor as it moves (`cursor <offset>`), then `done` once the
 * thread has applied everything durable.
 *
 * Usage: `deno run -A _child_ingest_thread.ts <journalDir> <kvPath> <batchRecords>`
 *
 * @module
 */
import { Journal } from "../../src/wal/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import { IngestThread } from "../../src/ingest/mod.ts";

const [journalDir, kvPath, batch] = Deno.args;
const journal = await Journal.open(journalDir);
const store = await KvStore.open(kvPath);
const thread = await IngestThread.start(journal, store, {
  kv: kvPath,
  batchRecords: Number(batch),
});
const out = (line: string) => Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
out("ready");
let last = -1;
while (true) {
  const { offset } = await store.readCursor(journal.id);
  if (offset !== null && offset !== last) out(`cursor ${last = offset}`);
  if (offset === journal.durableOffset) break;
  await new Promise((resolve) => setTimeout(resolve, 2));
}
out("done");
await thread.stop();
store.close();
await journal.close();
