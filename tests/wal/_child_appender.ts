/**
 * Child of the SIGKILL crash tests. Opens the journal in `dir` and appends
 * from 64 concurrent tasks until killed, printing one line per acknowledged
 * record right after its append resolves: `<offset> <next> <round> <task> <seq>`.
 * The payload is `payloadFor([round, task, seq])`, so the parent can rebuild
 * it. One task in sixteen appends with `appendBatch` (1 to 40 payloads, one
 * line per record once the batch resolves), the others with `append`.
 *
 * Usage:
 * `deno run -A tests/wal/_child_appender.ts <dir> <round> <segmentBytes> <durability>`
 *
 * @module
 */

import { type Durability, Journal } from "../../src/wal/mod.ts";
import { mixSeed, payloadFor, printLine, Prng } from "./_child_util.ts";

const TASKS = 64;
/** Appends per task; then the task idles until the kill, keeping verification cheap. */
const APPENDS_PER_TASK = 1_000;
/** Stop on our own if the parent never kills us (a parent bug must not hang CI). */
const SAFETY_EXIT_MS = 20_000;

const [dir, roundArg, segmentArg, durability] = Deno.args;
const round = Number(roundArg);

setTimeout(() => Deno.exit(0), SAFETY_EXIT_MS);
const journal = await Journal.open(dir, {
  segmentBytes: Number(segmentArg),
  durability: durability as Durability,
});
printLine(`open ${journal.firstOffset} ${journal.durableOffset}`);

async function appender(task: number): Promise<void> {
  const prng = new Prng(mixSeed(round, task));
  for (let seq = 0; seq < APPENDS_PER_TASK;) {
    if (task % 16 === 15) {
      const first = seq;
      const payloads = [];
      for (let n = prng.int(1, 40); n > 0; n--) payloads.push(payloadFor([round, task, seq++]));
      const results = await journal.appendBatch(payloads);
      results.forEach(({ offset, next }, i) =>
        printLine(`${offset} ${next} ${round} ${task} ${first + i}`)
      );
    } else {
      const { offset, next } = await journal.append(payloadFor([round, task, seq]));
      printLine(`${offset} ${next} ${round} ${task} ${seq++}`);
    }
  }
}

await Promise.all(Array.from({ length: TASKS }, (_, task) => appender(task)));
