/**
 * `stemedb migrate`: brings a store written by an earlier version to the
 * current layout (builds each voter's winning vote and each assertion's
 * tally from the stored votes). Idempotent and resumable.
 *
 * @module
 */

import { countMigrationVotes, migrateStore } from "../store/mod.ts";
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
  const kv = await Deno.openKv(input.config.kv);
  try {
    const started = performance.now();
    const enabled = progressWanted(input.json);
    // Counted first, so the bar has a total and an ETA: listing the votes costs a
    // small part of migrating them (no decoding, no writes), and only on a terminal.
    const total = enabled ? await countVotes(kv) : undefined;
    const phase = startPhase({ label: "migrate", unit: "records", total, enabled });
    let report;
    try {
      report = await migrateStore(kv, {
        onProgress: (p) => phase.update(p.votes, { detail: `${p.assertions} assertions` }),
      });
      phase.update(report.votes, { detail: `${report.assertions} assertions` });
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
  } finally {
    kv.close();
  }
}

/**
 * The votes a migration will have read, with a bar of its own: its total is
 * estimated from how far through the assertion hashes (uniform hex) the count
 * is, since there is nothing to count the count by.
 */
async function countVotes(kv: Deno.Kv): Promise<number> {
  const phase = startPhase({ label: "count", unit: "records", enabled: true });
  try {
    const votes = await countMigrationVotes(kv, {
      // The votes counted include those a stopped run read, which lie below its
      // last assertion: the share of the hash space passed covers both.
      onProgress: (p) => {
        const covered = hashFraction(p.assertion);
        const estimate = covered > 0 ? Math.max(p.votes, Math.round(p.votes / covered)) : undefined;
        phase.update(p.votes, { total: estimate });
      },
    });
    phase.update(votes, { total: votes });
    return votes;
  } finally {
    phase.finish();
  }
}

/** Where a hex hash lies in [0, 1): its first 13 hex digits (52 bits) as a fraction. */
function hashFraction(hash: string): number {
  const value = Number.parseInt(hash.slice(0, 13), 16);
  return Number.isFinite(value) ? value / 16 ** 13 : 0;
}
