/**
 * Child process for the reader test: the journal's writer. Creates the
 * journal, prints `ready`, then appends `count` assertions in small batches
 * with short pauses, printing `acked <next>` for each acknowledged record and
 * `done <durableOffset>` at the end.
 *
 * Usage: `deno run -A _child_writer.ts <journalDir> <count>`
 *
 * @module
 */
import { Journal } from "../../src/wal/mod.ts";
import { assertionPayload } from "./_helpers.ts";

const [journalDir, count] = Deno.args;
const journal = await Journal.open(journalDir, { segmentBytes: 16 * 1024 });
const out = (line: string) => Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
out("ready");
const n = Number(count);
for (let i = 0; i < n;) {
  const size = Math.min(n - i, 1 + Math.floor(Math.random() * 8));
  const batch = Array.from({ length: size }, (_, j) => assertionPayload(i + j));
  const results = await journal.appendBatch(batch);
  for (const r of results) out(`acked ${r.next}`);
  i += size;
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
}
out(`done ${journal.durableOffset}`);
await journal.close();
