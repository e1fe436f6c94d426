/**
 * What each query index costs at ingest: the KV sets the store plans for a
 * corpus of records (`_corpus.ts`: assertions with references and epochs,
 * votes), written into a fresh Deno KV in commits packed to the store's own
 * batch budget, with all index families, with none, and with all but one.
 * Rounds are interleaved (each round writes every variant once, in turn) and
 * the median per variant counts, so a load spike hits all variants alike.
 *
 * Usage: `deno run -A bench/index_cost_bench.ts [--records N] [--rounds R]`
 * (default 20,000 records, 3 rounds).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { contentHash, fromHex, serializeRecord } from "../src/records/mod.ts";
import { type KvSet, KvStore } from "../src/store/mod.ts";
import { corpus } from "./_corpus.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: { records: { type: "string" }, rounds: { type: "string" } },
});
const RECORDS = Number(flags.records ?? 20_000);
const ROUNDS = Number(flags.rounds ?? 3);
/** Index key parts, one family each (docs/FORMAT.md section 3.1.1). */
const INDEXES = ["SL", "SP", "R", "EA", "VH"];

const root = await Deno.makeTempDir({ prefix: "stemedb_index_bench_" });
const planner = await KvStore.open(":memory:");
const plans: KvSet[][] = [];
for (const record of corpus({ subjects: Math.ceil(RECORDS / 3) })) {
  if (plans.length === RECORDS) break;
  const payload = serializeRecord(record);
  const plan = planner.recordMutations(payload, fromHex(await contentHash(payload)));
  if (plan.ok) plans.push(plan.sets);
}
const budget = planner.batchBudget("0".repeat(32));
planner.close();

/** Packs record set lists into commits within the budget, keeping each record's sets together. */
function pack(records: KvSet[][]): KvSet[][] {
  const commits: KvSet[][] = [];
  let current: KvSet[] = [];
  let bytes = 0;
  let keyBytes = 0;
  for (const sets of records) {
    const b = sets.reduce((n, s) => n + s.bytes, 0);
    const k = sets.reduce((n, s) => n + s.keyBytes, 0);
    const full = current.length + sets.length > budget.mutations || bytes + b > budget.bytes ||
      keyBytes + k > budget.keyBytes;
    if (full) {
      commits.push(current);
      [current, bytes, keyBytes] = [[], 0, 0];
    }
    current.push(...sets);
    bytes += b;
    keyBytes += k;
  }
  if (current.length > 0) commits.push(current);
  return commits;
}

const keep = (drop: string[]) =>
  plans.map((sets) => sets.filter((s) => !drop.includes(String(s.key[0]))));
const variants: { name: string; commits: KvSet[][] }[] = [
  { name: "no indexes", commits: pack(keep(INDEXES)) },
  { name: "all indexes", commits: pack(plans) },
  ...INDEXES.map((index) => ({
    name: `all but ${index}`,
    commits: pack(keep([index])),
  })),
];

const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const variant of variants) {
    const kv = await Deno.openKv(`${root}/${round}-${variant.name.replaceAll(" ", "_")}.sqlite`);
    const t0 = performance.now();
    for (const commit of variant.commits) {
      const op = kv.atomic();
      for (const s of commit) op.set(s.key, s.value);
      if (!(await op.commit()).ok) throw new Error("Cannot write bench commit: it failed");
    }
    times.get(variant.name)!.push(performance.now() - t0);
    kv.close();
  }
}
await Deno.remove(root, { recursive: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const all = median(times.get("all indexes")!);
const none = median(times.get("no indexes")!);
console.log(
  `Index cost at ingest: ${plans.length.toLocaleString("en-US")} corpus records, ` +
    `medians of ${ROUNDS} interleaved rounds, Deno ${Deno.version.deno}`,
);
for (const variant of variants) {
  const ms = median(times.get(variant.name)!);
  const sets = variant.commits.reduce((n, c) => n + c.length, 0);
  console.log(
    `  ${variant.name.padEnd(14)} ${
      Math.round(plans.length / (ms / 1000)).toLocaleString("en-US")
        .padStart(8)
    } records/s  ${ms.toFixed(0).padStart(6)} ms  ${
      sets.toLocaleString("en-US").padStart(7)
    } sets  ${String(variant.commits.length).padStart(4)} commits` +
      (variant.name.startsWith("all but")
        ? `  (that index: ${((all - ms) / all * 100).toFixed(0)}% of the time with all)`
        : ""),
  );
}
console.log(`  all indexes / no indexes: ${(all / none).toFixed(2)}× the time`);
