/**
 * `stemedb migrate`: brings a store written by an earlier version to the
 * current layout (builds each voter's winning vote and each assertion's
 * tally from the stored votes). Idempotent and resumable.
 *
 * @module
 */

import { migrateStore } from "../store/mod.ts";
import type { Command, CommandInput } from "./_command.ts";
import { emit, EXIT_OK, formatRate, table } from "./_output.ts";
import { progressWanted, startPhase } from "./_progress.ts";

/** The `migrate` command. */
export const migrateCommand: Command = {
  name: "migrate",
  summary: "Bring a store written by an earlier version to the current layout",
  usage: "migrate",
  description: [
    "Builds what the current version keeps beside the records of a store written by an",
    "earlier one: each voter's winning vote and each assertion's tally, from the stored",
    "votes. Stop every ingestor and service on the store first. Idempotent: a current store",
    "is left as it is. Resumable: progress is committed as it goes, so a run that was",
    "stopped (Ctrl-C, a crash) continues where it stood when run again.",
  ].join("\n"),
  options: {},
  positionals: [0, 0],
  run: runMigrate,
};

async function runMigrate(input: CommandInput): Promise<number> {
  const started = performance.now();
  // The votes to read are not counted up front (that would be a second full
  // scan), so the bar shows the votes read and their rate, without an ETA.
  const phase = startPhase({
    label: "migrate",
    unit: "records",
    enabled: progressWanted(input.json),
  });
  let report;
  try {
    report = await migrateStore(input.config.kv, {
      timeoutMs: input.config.kvTimeoutMs,
      onProgress: (p) => phase.update(p.votes, { detail: `${p.assertions} assertions` }),
    });
  } finally {
    phase.finish();
  }
  const elapsed = performance.now() - started;
  emit(input.json, { kv: input.config.kv, ...report, elapsedMs: elapsed }, () =>
    table([
      ["kv", input.config.kv],
      [
        "layout",
        report.from === null ? `empty, now ${report.to}` : `${report.from} -> ${report.to}`,
      ],
      [
        "result",
        report.migrated ? (report.resumed ? "migrated (resumed)" : "migrated") : "nothing to do",
      ],
      ["assertions", report.assertions],
      ["votes", `${report.votes} (${formatRate(report.votes, elapsed)})`],
    ]));
  return EXIT_OK;
}
