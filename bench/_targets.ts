/**
 * The target rows every benchmark prints: a figure, its peer from the same
 * run, their ratio and the target, judged PASS or FAIL. A benchmark prints
 * its own rows at its end; run under `bench/run.ts` (`deno task bench`) it
 * also hands them over through the file named by `STEMEDB_BENCH_TARGETS`,
 * so that the runner prints every row of every benchmark in one summary
 * block at the end of the run.
 *
 * @module
 */

/** One target: a figure against its peer from the same run. */
export interface TargetRow {
  /**
   * Which row this is. Issue 15's rows use the keys of
   * {@linkcode ISSUE_15_ROWS}, which the summary prints first, in the
   * issue's order; any other key is one of the benchmarks' own targets.
   */
  key: string;
  /** What is measured, as the issue's table names it. */
  path: string;
  /** The subject's figure, with its unit (`"37,040 rec/s"`). */
  figure: string;
  /** The peer and its figure from the same run (`"appendBatch …: 160,192 rec/s"`). */
  peer: string;
  /** Subject over peer, as judged (for a cost, the subject's time over the peer's). */
  ratio: number;
  /** `">="`: the ratio must reach `target`; `"<="`: it must stay at or below it. */
  compare: ">=" | "<=";
  /** The ratio the target asks for. */
  target: number;
  /**
   * What bounds the ratio on this machine, measured in the same run (the
   * figure no path can pass, and the ratio it caps), for a row whose target
   * may be out of reach. @default {undefined}
   */
  bound?: string;
  /** Digits of the ratio as printed. @default {2} */
  digits?: number;
}

/**
 * Issue 15's rows, in the order of the issue's table: the summary prints
 * these first, and names a missing one so that a run that skipped a row
 * says so.
 */
export const ISSUE_15_ROWS: readonly string[] = [
  "codec-serialize",
  "codec-decode",
  "append-cli",
  "http-ingestor",
  "http-null",
  "wal-concurrent64",
  "ingest-corpus",
  "append-until-queryable",
];

/** Environment variable naming the file the rows are appended to (one JSON document a line). */
export const TARGETS_FILE_ENV = "STEMEDB_BENCH_TARGETS";

/** Whether `row` meets its target. */
export function met(row: TargetRow): boolean {
  return row.compare === ">=" ? row.ratio >= row.target : row.ratio <= row.target;
}

/** The ratio as printed (`0.45×`). */
export function formatRatio(row: TargetRow): string {
  return `${row.ratio.toFixed(row.digits ?? 2)}×`;
}

/** The target as printed (`≥ 0.5×`). */
export function formatTarget(row: TargetRow): string {
  return `${row.compare === ">=" ? "≥" : "≤"} ${row.target}×`;
}

/**
 * Print `rows` as this benchmark's targets (one PASS/FAIL line each) and, under
 * `deno task bench`, hand them to the runner's summary.
 */
export async function reportTargets(rows: readonly TargetRow[]): Promise<void> {
  console.log("\ntargets");
  for (const row of rows) {
    console.log(
      `  ${met(row) ? "PASS" : "FAIL"}  ${row.path}: ${formatRatio(row)} (${formatTarget(row)}); ` +
        `${row.figure} against ${row.peer}`,
    );
    if (row.bound !== undefined) console.log(`        bound: ${row.bound}`);
  }
  const file = Deno.env.get(TARGETS_FILE_ENV);
  if (file !== undefined && rows.length > 0) {
    await Deno.writeTextFile(file, rows.map((r) => JSON.stringify(r) + "\n").join(""), {
      append: true,
    });
  }
}

/** Records (or requests) per second, rounded, with thousands separators. */
export function perSecond(rate: number, unit = "rec/s"): string {
  return `${Math.round(rate).toLocaleString("en-US")} ${unit}`;
}
