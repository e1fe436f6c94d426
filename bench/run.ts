/**
 * `deno task bench`: every benchmark, one after another, each in its own
 * process (so one's heap, workers and open KV never load another's figures),
 * then one summary block with every target row of the run: issue 15's table
 * first, in the issue's order, then the benchmarks' own targets. Each row is
 * a figure, its peer from the same run, their ratio, the target and PASS or
 * FAIL, as a Markdown table the README's Performance section can take as it
 * is. The machine and its load average before and after are printed with it,
 * since the figures mean little without them.
 *
 * ```sh
 * deno task bench                 # issue 15's benchmarks: under 10 minutes on a 2-core VM
 * deno task bench --quick         # the same at smaller sizes, fewer rounds: about 4 minutes
 * deno task bench --all           # also the tally, remote-KV and index-cost benchmarks
 * deno task bench --only=wal,http # some benchmarks only
 * ```
 *
 * Each file also runs alone (`deno run -A bench/wal_bench.ts`) at its own,
 * usually larger, default sizes.
 *
 * The exit code is 0 whatever the figures are (they are figures, not tests);
 * a benchmark that fails to run makes it 1.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  formatRatio,
  formatTarget,
  ISSUE_15_ROWS,
  met,
  type TargetRow,
  TARGETS_FILE_ENV,
} from "./_targets.ts";

/** One benchmark of the run: its file and its arguments, by profile. */
interface Bench {
  name: string;
  file: string;
  standard: string[];
  quick: string[];
  /** Run only with `--all` (it holds none of issue 15's rows). */
  extra?: boolean;
}

/** In run order: the issue 15 rows' benchmarks first. */
const BENCHES: Bench[] = [
  { name: "records", file: "records_bench.ts", standard: [], quick: ["--rounds=7"] },
  {
    name: "append",
    file: "append_bench.ts",
    standard: ["--lines=500000", "--rounds=3"],
    quick: ["--quick", "--rounds=3"],
  },
  { name: "http", file: "http_bench.ts", standard: [], quick: ["--seconds=2"] },
  {
    name: "wal",
    file: "wal_bench.ts",
    standard: ["--scale=4", "--trials=5", "--open-mib=256"],
    quick: ["--quick", "--trials=3"],
  },
  {
    name: "ingest",
    file: "ingest_bench.ts",
    standard: ["--rounds=3", "--records=30000", "--log-mib=256", "--e2e-rounds=21"],
    quick: ["--quick"],
  },
  {
    name: "lag-tracker",
    file: "lag_tracker_bench.ts",
    standard: ["--quick", "--trials=5"],
    quick: ["--quick", "--trials=3"],
  },
  {
    name: "tally",
    file: "tally_bench.ts",
    standard: ["--quick"],
    quick: ["--quick"],
    extra: true,
  },
  {
    name: "remote",
    file: "remote_ingest_bench.ts",
    standard: ["--quick"],
    quick: ["--quick"],
    extra: true,
  },
  {
    name: "reference-check",
    file: "reference_check_bench.ts",
    standard: [],
    quick: ["--votes=5000"],
    extra: true,
  },
  {
    name: "index-cost",
    file: "index_cost_bench.ts",
    standard: [],
    quick: ["--rounds=1"],
    extra: true,
  },
];

/** The machine, as a figure's reader needs it. */
async function machine(): Promise<string> {
  let cpu = "";
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    cpu = info.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? "";
  } catch {
    // Not Linux: the core count and the OS still say something.
  }
  return `${navigator.hardwareConcurrency} cpus${cpu ? ` (${cpu})` : ""}, ${Deno.build.os} ` +
    `${Deno.osRelease()}, Deno ${Deno.version.deno}`;
}

function load(): string {
  return Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
}

/** A Markdown table of `rows`, columns padded so the source reads as a table too. */
function markdown(rows: TargetRow[]): string {
  const head = ["path", "figure", "peer (same run)", "ratio", "target", "verdict"];
  const cells = rows.map((r) => [
    r.path,
    r.figure,
    r.peer,
    formatRatio(r),
    formatTarget(r),
    met(r) ? "PASS" : "FAIL",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const right = new Set([1, 3, 4]);
  const line = (c: string[]) =>
    `| ${
      c.map((x, i) => right.has(i) ? x.padStart(widths[i]) : x.padEnd(widths[i])).join(" | ")
    } |`;
  const rule = `| ${
    widths.map((w, i) => right.has(i) ? "-".repeat(w - 1) + ":" : "-".repeat(w)).join(" | ")
  } |`;
  return [line(head), rule, ...cells.map(line)].join("\n");
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      all: { type: "boolean", default: false },
      only: { type: "string" },
    },
  });
  const only = values.only?.split(",").map((n) => n.trim());
  for (const name of only ?? []) {
    if (!BENCHES.some((b) => b.name === name)) {
      throw new TypeError(
        `Cannot run benchmark "${name}": expected one of ${BENCHES.map((b) => b.name)}`,
      );
    }
  }
  const selected = BENCHES.filter((b) =>
    only === undefined ? values.all || !b.extra : only.includes(b.name)
  );
  const targetsFile = await Deno.makeTempFile({ prefix: "stemedb-bench-targets-" });
  const started = performance.now();
  const loadBefore = load();
  const failed: string[] = [];
  try {
    for (const bench of selected) {
      const args = values.quick ? bench.quick : bench.standard;
      console.log(`\n== ${bench.file} ${args.join(" ")}\n`);
      const t0 = performance.now();
      const status = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL(bench.file, import.meta.url).pathname, ...args],
        env: { [TARGETS_FILE_ENV]: targetsFile },
        stdout: "inherit",
        stderr: "inherit",
      }).spawn().status;
      if (!status.success) failed.push(bench.name);
      console.log(`\n(${bench.file}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
    const rows = (await Deno.readTextFile(targetsFile)).split("\n").filter((l) => l !== "")
      .map((l) => JSON.parse(l) as TargetRow);
    const issue = ISSUE_15_ROWS.flatMap((key) => rows.filter((r) => r.key === key));
    const others = rows.filter((r) => !ISSUE_15_ROWS.includes(r.key));
    const missing = ISSUE_15_ROWS.filter((key) => !rows.some((r) => r.key === key));
    console.log(
      `\n== summary: ${values.quick ? "quick" : "standard"} run of ${
        new Date().toISOString().slice(0, 16).replace("T", " ")
      } UTC, ${await machine()}; load average (1/5/15 min) ${loadBefore} before, ${load()} ` +
        `after; ${((performance.now() - started) / 60_000).toFixed(1)} min\n`,
    );
    console.log("Issue 15's targets, each against its peer from the same run:\n");
    console.log(markdown(issue));
    const bounded = issue.filter((r) => r.bound !== undefined);
    if (bounded.length > 0) {
      console.log("\nWhat bounds them, measured in the same rounds:\n");
      for (const r of bounded) console.log(`- ${r.path}: ${r.bound}`);
    }
    if (missing.length > 0) console.log(`\n(not run: ${missing.join(", ")})`);
    if (others.length > 0) {
      console.log("\nThe benchmarks' other targets, from the same run:\n");
      console.log(markdown(others));
    }
    if (failed.length > 0) console.log(`\nbenchmarks that did not finish: ${failed.join(", ")}`);
  } finally {
    await Deno.remove(targetsFile);
  }
  return failed.length === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
