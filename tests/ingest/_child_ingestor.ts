/**
 * Child process for the multi-process ingestor tests: opens a journal
 * read-only and a store, then runs passes until it has caught up, printing one
 * line per pass (`pass <applied> <deadLettered> <commits> <conflicts> <to>`)
 * and a final `done` line with its totals as JSON.
 *
 * Usage: `deno run -A _child_ingestor.ts <journalDir> <kvPath> <batchRecords> <maxRecords>`
 *
 * @module
 */
import { Journal } from "../../src/wal/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import { Ingestor } from "../../src/ingest/mod.ts";

const [journalDir, kvPath, batch, max] = Deno.args;
const journal = await Journal.open(journalDir, { readOnly: true });
const store = await KvStore.open(kvPath);
const ingestor = new Ingestor(journal, store, { batchRecords: Number(batch) });
const totals = { applied: 0, deadLettered: 0, commits: 0, conflicts: 0 };
const out = (line: string) => Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
out("ready");
while (true) {
  const r = await ingestor.runOnce({ maxRecords: Number(max) });
  totals.applied += r.applied;
  totals.deadLettered += r.deadLettered;
  totals.commits += r.commits;
  totals.conflicts += r.conflicts;
  out(`pass ${r.applied} ${r.deadLettered} ${r.commits} ${r.conflicts} ${r.to}`);
  if (r.caughtUp) break;
}
out(`done ${JSON.stringify(totals)}`);
store.close();
await journal.close();
