/**
 * The referential check of a vote-heavy input (`deno task append`,
 * `POST /votes`): N votes on assertions already in the store, checked record
 * by record with `check()` (one read per assertion not seen yet) against
 * `checkAll()` over batches of 1,000 lines (the assertions a batch names,
 * read `MAX_GET_MANY` keys at a time). Interleaved rounds, medians; a fresh
 * check each round, so every assertion is read again.
 *
 * Usage: `deno run -A bench/reference_check_bench.ts [--votes N] [--rounds R]`
 * (default 20,000 votes on 10,000 assertions, 5 rounds).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Journal } from "../src/wal/mod.ts";
import { type ParsedLine, parseRecordLine, serializeAssertion } from "../src/records/mod.ts";
import { contentHash } from "../src/records/mod.ts";
import { KvStore } from "../src/store/mod.ts";
import { Ingestor } from "../src/ingest/mod.ts";
import { median } from "./wal_measure.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: { votes: { type: "string" }, rounds: { type: "string" } },
});
const VOTES = Number(flags.votes ?? 20_000);
const ASSERTIONS = Math.ceil(VOTES / 2);
const ROUNDS = Number(flags.rounds ?? 5);
const BATCH = 1_000;

const root = await Deno.makeTempDir({ prefix: "stemedb-refcheck-bench-" });
try {
  const payloads = Array.from({ length: ASSERTIONS }, (_, i) =>
    serializeAssertion({
      subject: `subject-${i % 500}`,
      predicate: "benchmarks",
      object: `object-${i}`,
      source: "reference_check_bench",
      confidence: 1,
      timestamp: i,
    }));
  const journal = await Journal.open(`${root}/wal`, { durability: "none" });
  for (let i = 0; i < payloads.length; i += 1000) {
    await journal.appendBatch(payloads.slice(i, i + 1000));
  }
  const store = await KvStore.open(`${root}/kv.sqlite`);
  await new Ingestor(journal, store).runOnce();
  await journal.close();
  const hashes = await Promise.all(payloads.map((p) => contentHash(p)));
  // Vote i on assertion (i * 7919) mod N: every assertion twice, never in a row.
  const lines: ParsedLine[] = [];
  for (let i = 0; i < VOTES; i++) {
    const parsed = parseRecordLine(JSON.stringify({
      type: "vote",
      assertion: hashes[(i * 7919) % ASSERTIONS],
      voter: `voter-${i % 97}`,
      value: 1,
      timestamp: i,
    }));
    if (!parsed.ok) throw new Error(parsed.reason);
    lines.push(parsed);
  }

  const sides: Record<string, () => Promise<number>> = {
    "check() record by record": async () => {
      const check = store.referenceCheck();
      let refused = 0;
      for (const line of lines) {
        if (await check.check(line.record, line.payload) !== null) refused++;
      }
      return refused;
    },
    [`checkAll() per ${BATCH} lines`]: async () => {
      const check = store.referenceCheck();
      let refused = 0;
      for (let i = 0; i < lines.length; i += BATCH) {
        const problems = await check.checkAll(lines.slice(i, i + BATCH));
        refused += problems.filter((p) => p !== null).length;
      }
      return refused;
    },
  };
  const names = Object.keys(sides);
  const ms: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const t0 = performance.now();
      const refused = await sides[name]();
      ms[name].push(performance.now() - t0);
      if (refused !== 0) throw new Error(`Cannot trust the run: ${name} refused ${refused}`);
    }
  }
  store.close();
  console.log(
    `Reference check of ${VOTES.toLocaleString("en-US")} votes on ` +
      `${ASSERTIONS.toLocaleString("en-US")} stored assertions, medians of ${ROUNDS} ` +
      `interleaved rounds, Deno ${Deno.version.deno}`,
  );
  const base = median(ms[names[0]]);
  for (const name of names) {
    const m = median(ms[name]);
    console.log(
      `  ${name.padEnd(26)} ${Math.round(VOTES / (m / 1000)).toLocaleString("en-US").padStart(9)}` +
        ` votes/s  ${m.toFixed(0).padStart(6)} ms  ${(base / m).toFixed(2)}× record by record`,
    );
  }
} finally {
  await Deno.remove(root, { recursive: true });
}
