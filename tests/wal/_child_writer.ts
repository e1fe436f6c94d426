/**
 * Child of the writer/reader split test. Appends `count` records to the
 * journal in `dir` with varying pacing (single awaited appends, bursts of
 * concurrent appends, batches, pauses); record `i` carries
 * `payloadFor([seed, i], 3000)`. Prints `ready` once the journal is open and
 * `done <durableOffset>` after the last append, then closes.
 *
 * Usage: `deno run -A tests/wal/_child_writer.ts <dir> <count> <seed> <segmentBytes>`
 *
 * @module
 */

import { Journal } from "../../src/wal/mod.ts";
import { delay, payloadFor, printLine, Prng } from "./_child_util.ts";

const [dir, countArg, seedArg, segmentArg] = Deno.args;
const count = Number(countArg);
const seed = Number(seedArg);
const prng = new Prng(seed ^ 0x5eed);
const payload = (i: number) => payloadFor([seed, i], 3000);

const journal = await Journal.open(dir, { segmentBytes: Number(segmentArg) });
printLine("ready");
let i = 0;
while (i < count) {
  const pick = prng.next();
  const k = Math.min(count - i, prng.int(2, 8));
  if (pick < 0.45) {
    await journal.append(payload(i++));
  } else if (pick < 0.6) {
    // Concurrent appends: offsets must still follow call order.
    const burst = [];
    for (let j = 0; j < k; j++) burst.push(journal.append(payload(i++)));
    await Promise.all(burst);
  } else if (pick < 0.75) {
    const batch = [];
    for (let j = 0; j < k; j++) batch.push(payload(i++));
    await journal.appendBatch(batch);
  } else {
    await delay(prng.int(2, 12));
  }
}
printLine(`done ${journal.durableOffset}`);
await journal.close();
