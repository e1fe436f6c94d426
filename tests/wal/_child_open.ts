/**
 * Child of the lock test. As `writer`, tries to open the journal in `dir` for
 * writing: prints `opened` and exits 0, or prints the error's name and message
 * to stderr and exits 2. As `reader`, opens it read-only and prints one JSON
 * line `{ durableOffset, records: [{ offset, next, payload (hex) }] }`.
 *
 * Usage: `deno run -A tests/wal/_child_open.ts <dir> writer|reader`
 *
 * @module
 */

import { Journal } from "../../src/wal/mod.ts";
import { hex } from "./_child_util.ts";

const [dir, role] = Deno.args;
if (role === "writer") {
  let journal: Journal;
  try {
    journal = await Journal.open(dir);
  } catch (error) {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    Deno.exit(2);
  }
  console.log("opened");
  await journal.close();
} else {
  const reader = await Journal.open(dir, { readOnly: true });
  const records = [];
  for await (const record of reader.readFrom(reader.firstOffset)) {
    records.push({ offset: record.offset, next: record.next, payload: hex(record.payload) });
  }
  console.log(JSON.stringify({ durableOffset: reader.durableOffset, records }));
  await reader.close();
}
