/**
 * `stemedb migrate`: brings a store written by an earlier version to the
 * current layout (keys with byte hashes; from the first layout, indexes,
 * winners and tallies built from the stored records). Idempotent and resumable.
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
    "Brings a store written by an earlier version to the current layout: moves every key",
    "whose content hashes were written as hex to their 32 bytes, and, for a store written",
    "before tallies were kept, builds its indexes, each voter's winning vote and each",
    "assertion's tally from the stored records. Stop every ingestor and service on the",
    "store first. Idempotent: a current store is left as it is. Resumable: progress is",
    "committed as it goes, so a run that was stopped (Ctrl-C, a crash) continues where it",
    "stood when run again.",
  ].join("\n"),
  options: {},
  positionals: [0, 0],
  run: runMigrate,
};

async function runMigrate(input: CommandInput): Promise<number> {
  const started = performance.now();
  const enabled = progressWanted(input.json);
  // On a terminal the migration counts its work first (keys listed, nothing
  // decoded or written: a small part of migrating them), so the bar has a
  // total and an ETA.
  const phase = startPhase({ label: "migrate", unit: "records", enabled });
  let report;
  try {
    report = await migrateStore(input.config.kv, {
      timeoutMs: input.config.kvTimeoutMs,
      countFirst: enabled,
      onProgress: (p) =>
        phase.update((p.moved ?? 0) + p.votes, {
          total: p.total,
          startedAt: p.resumedFrom,
          detail: `${p.assertions} assertions`,
        }),
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
      ["keys moved", report.moved],
      ["assertions", report.assertions],
      ["votes", `${report.votes} (${formatRate(report.votes, elapsed)})`],
    ]));
  return EXIT_OK;
}
