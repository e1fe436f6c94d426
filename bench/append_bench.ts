/**
 * `deno task append` benchmark (issue 15): figures, not timed tests (the exit
 * code is 0 whatever the figures are).
 *
 * A 500,000-line NDJSON file of the realistic corpus (`bench/_corpus.ts`) is
 * appended by the real command line in a child process (`deno run … append
 * <file>`, the all-or-nothing default: validate every line, then append),
 * timed from spawn to exit, against `appendBatch` of the same payloads,
 * 1,000 at a time as the command sends them, in this process into a fresh
 * journal with the command's journal options. Shown beside them, each in
 * this process: parsing alone (`parseRecordLine` of every line, into the
 * encoder's buffer as the command parses), which an
 * all-or-nothing run must finish before its first append, and the
 * referential check alone (`ReferenceCheck.checkAll` of the parsed lines, a
 * thousand at a time as the command checks them, with the command's
 * `--allow-unknown`, against a fresh store); what the command spends beyond
 * the three is printed as the rest (reading and splitting lines, holding the
 * payloads, process start-up).
 *
 * Rounds are interleaved (every side once per round, the order alternating);
 * a figure is the median over rounds, a ratio the median of per-round ratios.
 * Target: the command ≥ 0.5× `appendBatch`.
 *
 * ```sh
 * deno run -A bench/append_bench.ts            # 500,000 lines, 3 rounds
 * deno run -A bench/append_bench.ts --quick    # 50,000 lines
 * deno run -A bench/append_bench.ts --lines=200000 --rounds=5
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { type ParsedLine, parseRecordLine, recordToJson } from "../src/records/mod.ts";
import { KvStore } from "../src/store/mod.ts";
import { Journal } from "../src/wal/mod.ts";
import { corpus } from "./_corpus.ts";
import { median } from "./wal_measure.ts";
import { perSecond, reportTargets } from "./_targets.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    lines: { type: "string" },
    rounds: { type: "string", default: "3" },
  },
});
const LINES = Number(flags.lines ?? (flags.quick ? 50_000 : 500_000));
const ROUNDS = Number(flags.rounds);
const TARGET = 0.5;
/** What the command sends per `appendBatch` by default. */
const BATCH = 1_000;
/** Lines the command's validation pass checks the references of at once (src/cli/append.ts). */
const CHECK_GROUP = 1_000;
const CLI = new URL("../src/cli/main.ts", import.meta.url).pathname;

const root = await Deno.makeTempDir({ prefix: "stemedb-append-bench-" });
try {
  const lines: string[] = [];
  for (const record of corpus({ subjects: LINES, seed: 1 })) {
    if (lines.length === LINES) break;
    lines.push(JSON.stringify(recordToJson(record)));
  }
  const file = join(root, "input.ndjson");
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  const inputBytes = (await Deno.stat(file)).size;
  const parseLine = (line: string): ParsedLine => {
    const parsed = parseRecordLine(line);
    if (!parsed.ok) throw new Error(`Cannot use corpus line: ${parsed.reason}`);
    return parsed;
  };
  // Only the payloads are kept: a heap holding every parsed record would slow
  // this process's sides (its collections) against the command's process.
  const payloads = lines.map((line) => parseLine(line).payload);
  console.log(
    `append_bench: Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cpus, ` +
      `${LINES.toLocaleString("en-US")} lines of the corpus (${
        (inputBytes / 1024 ** 2).toFixed(1)
      } MiB), median of ${ROUNDS} interleaved rounds\n`,
  );

  const sides: Record<string, (dir: string) => Promise<number>> = {
    "deno task append (child process)": async (dir) => {
      const t0 = performance.now();
      const out = await new Deno.Command(Deno.execPath(), {
        // The corpus's vote targets are stand-ins, not hashes of its assertions
        // (bench/_corpus.ts): the referential check would refuse every vote.
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          CLI,
          "append",
          file,
          "--allow-unknown",
        ],
        env: { STEMEDB_DATA: dir, NO_COLOR: "1" },
        stdout: "null",
        stderr: "piped",
      }).output();
      const ms = performance.now() - t0;
      if (!out.success) {
        throw new Error(`Cannot append: ${new TextDecoder().decode(out.stderr).trim()}`);
      }
      return ms;
    },
    "appendBatch of the same payloads": async (dir) => {
      const t0 = performance.now();
      // The command's journal options (src/cli/append.ts).
      const journal = await Journal.open(join(dir, "wal"), { blockingSyncMs: 1 });
      try {
        for (let i = 0; i < payloads.length; i += BATCH) {
          await journal.appendBatch(payloads.slice(i, i + BATCH));
        }
      } finally {
        await journal.close();
      }
      return performance.now() - t0;
    },
    "parseRecordLine alone": (_dir) => {
      const t0 = performance.now();
      let bytes = 0;
      for (const line of lines) {
        // As the command parses: into the encoder's buffer, which it copies into its spool.
        const parsed = parseRecordLine(line, { borrow: true });
        if (parsed.ok) bytes += parsed.payload.byteLength;
      }
      if (bytes === 0) throw new Error("Cannot parse the corpus");
      return Promise.resolve(performance.now() - t0);
    },
    "reference check alone": async (dir) => {
      const store = await KvStore.open(join(dir, "kv.sqlite"));
      try {
        // The command's check: --allow-unknown, as the command is run above;
        // each group parsed untimed before its check.
        const check = store.referenceCheck({ allowUnknown: true });
        let ms = 0;
        for (let i = 0; i < lines.length; i += CHECK_GROUP) {
          const group = lines.slice(i, i + CHECK_GROUP).map(parseLine);
          const t0 = performance.now();
          const problems = await check.checkAll(group);
          ms += performance.now() - t0;
          if (problems.some((p) => p !== null)) throw new Error("Cannot check the corpus");
        }
        return ms;
      } finally {
        store.close();
      }
    },
  };
  const names = Object.keys(sides);
  const ms: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const dir = await Deno.makeTempDir({ dir: root });
      try {
        ms[name].push(await sides[name](dir));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
      console.error(`  round ${round + 1}: ${name}: ${ms[name].at(-1)!.toFixed(0)} ms`);
    }
  }
  const [cli, batch, parse, refs] = names.map((n) => ms[n]);
  const perRecord = (xs: number[]) => `${(median(xs) * 1000 / LINES).toFixed(2)} µs a record`;
  for (const name of names) {
    const rate = Math.round(LINES / (median(ms[name]) / 1000)).toLocaleString("en-US");
    console.log(
      `${name.padEnd(34)} ${rate.padStart(10)} records/s  (${perRecord(ms[name])}; rounds ${
        ms[name].map((t) => t.toFixed(0)).join("/")
      } ms)`,
    );
  }
  const ratio = median(cli.map((t, i) => batch[i] / t));
  // All or nothing parses and checks every line before its first append: it
  // cannot beat parse + check + append.
  const bound = median(batch.map((t, i) => t / (t + parse[i] + refs[i])));
  const rest = median(cli.map((t, i) => t - batch[i] - parse[i] - refs[i]));
  console.log(
    `\n  bound: an all-or-nothing run parses and checks every line before it appends one: ` +
      `appendBatch / (parse + reference check + appendBatch) = ${bound.toFixed(2)}×\n` +
      `  a line costs the command ${perRecord(cli)}: parsing ${perRecord(parse)}, ` +
      `the reference check ${perRecord(refs)}, appendBatch ${perRecord(batch)}, ` +
      `the rest (reading lines, holding payloads, start-up) ${perRecord([rest])}`,
  );
  await reportTargets([{
    key: "append-cli",
    path: `deno task append of a ${LINES.toLocaleString("en-US")}-line file vs appendBatch`,
    figure: perSecond(LINES / (median(cli) / 1000)),
    peer: `appendBatch of the same payloads: ${perSecond(LINES / (median(batch) / 1000))}`,
    ratio,
    compare: ">=",
    target: TARGET,
  }]);
} finally {
  await Deno.remove(root, { recursive: true });
}
