/**
 * Child of the SIGKILL crash test. Opens the journal in `dir` and appends
 * from 64 concurrent tasks until killed, printing one line per acknowledged
 * record right after its append resolves:
 * `<offset> <next> <round> <task> <seq>`. The payload is
 * `payloadFor([round, task, seq])`, so the parent can rebuild it.
 *
 * Usage: `deno run -A tests/wal/_child_appender.ts <dir> <round> <segmentBytes>`
 *
 * @module
 */

import { Journal } from "../../src/wal/mod.ts";
import { payloadFor, printLine as print } from "./_child_util.ts";

const TASKS = 64;
/** Stop on our own if the parent never kills us (a parent bug must not hang CI). */
const SAFETY_EXIT_MS = 20_000;

const [dir, roundArg, segmentArg] = Deno.args;
const round = Number(roundArg);

setTimeout(() => Deno.exit(0), SAFETY_EXIT_MS);
const journal = await Journal.open(dir, { segmentBytes: Number(segmentArg) });
print(`open ${journal.firstOffset} ${journal.durableOffset}`);

async function appender(task: number): Promise<never> {
  for (let seq = 0;; seq++) {
    const { offset, next } = await journal.append(payloadFor([round, task, seq]));
    print(`${offset} ${next} ${round} ${task} ${seq}`);
  }
}

await Promise.all(Array.from({ length: TASKS }, (_, task) => appender(task)));
