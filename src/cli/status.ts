/**
 * `stemedb status`: segments, durable end, ingest cursor, lag and dead
 * letters of every journal shard of the data directory. Opens the journals
 * read-only, so it works while writers run. The JSON document is the first
 * shard's report with every shard's under `shards`.
 *
 * @module
 */

import {
  collectShardStatus,
  DEFAULT_DEAD_LETTER_LIMIT,
  type IngestStall,
  type ShardedStatusReport,
} from "../ingest/mod.ts";
import { openJournal, openStore } from "../config/data_dir.ts";
import { listShards } from "../config/shards.ts";
import { Journal } from "../wal/mod.ts";
import { type Command, type CommandInput, intOption } from "./_command.ts";
import { emit, EXIT_OK, formatBytes, table } from "./_output.ts";

/** The `status` command. */
export const statusCommand: Command = {
  name: "status",
  summary: "Show segments, durable end, ingest cursor, lag and dead letters",
  usage: "status [--dead-letters <n>]",
  description: [
    "Shows, for every journal shard of the data directory (wal, wal-1, ...), its segments,",
    "durable end, ingest cursor, lag in bytes and records and dead letters, and the cursor of",
    "every journal feeding the store. Journals open read-only: safe while writers run.",
  ].join("\n"),
  options: {
    "dead-letters": {
      type: "string",
      value: "n",
      description:
        `How many of the latest dead letters to show (default ${DEFAULT_DEAD_LETTER_LIMIT})`,
    },
  },
  positionals: [0, 0],
  run: runStatus,
};

async function runStatus(input: CommandInput): Promise<number> {
  const deadLetterLimit = intOption(input, "dead-letters", DEFAULT_DEAD_LETTER_LIMIT, 0);
  const shards = await listShards(input.config);
  const journals: Journal[] = [];
  try {
    // With no shard yet, opening the classic journal says clearly that there is none.
    if (shards.length === 0) journals.push(await openJournal(input.config, { readOnly: true }));
    for (const shard of shards) journals.push(await Journal.open(shard.dir, { readOnly: true }));
    const store = await openStore(input.config);
    try {
      const report = await collectShardStatus(journals, store, { deadLetterLimit });
      emit(input.json, { data: input.config, ...report }, () => describe(input, report));
      return EXIT_OK;
    } finally {
      store.close();
    }
  } finally {
    for (const journal of journals) await journal.close();
  }
}

function describe(input: CommandInput, report: ShardedStatusReport): string {
  const lines = [table([["kv", input.config.kv], ["shards", report.shards.length]])];
  for (const shard of report.shards) {
    const { ingest, deadLetters } = shard;
    lines.push(
      "",
      table([
        ["journal", `${shard.journal.id} (${shard.journal.dir})`],
        ["segments", shard.journal.segments.length],
        ["first offset", shard.journal.firstOffset],
        ["durable end", shard.journal.durableOffset],
        ["ingest cursor", ingest.cursor ?? "none (nothing ingested yet)"],
        [
          "lag",
          `${formatBytes(ingest.lagBytes)}, ${ingest.lagRecords}${
            ingest.lagRecordsCapped ? "+" : ""
          } records`,
        ],
        [
          "last commit",
          ingest.lastCommitAt === null ? "never" : new Date(ingest.lastCommitAt).toISOString(),
        ],
        ["dead letters", deadLetters.count],
        ...(ingest.stalled === null ? [] : [["stalled", describeStall(ingest.stalled)] as [
          string,
          string,
        ]]),
      ]),
      "Segments:",
      ...shard.journal.segments.map((s) =>
        `  ${s.path}  ${s.base} .. ${s.end}  ${formatBytes(s.end - s.base)}${
          s.sealed ? "  sealed" : "  active"
        }`
      ),
    );
    if (deadLetters.latest.length > 0) {
      lines.push("Latest dead letters:");
      for (const d of deadLetters.latest) lines.push(`  offset ${d.offset}: ${d.reason}`);
    }
  }
  if (report.cursors.length > 0) {
    lines.push("", "Cursors:");
    for (const c of report.cursors) {
      lines.push(`  ${c.journalId}  offset ${c.offset}  ${new Date(c.updatedAt).toISOString()}`);
    }
  }
  return lines.join("\n");
}

/** A stall in one line, with the operator's next step. */
function describeStall(stall: IngestStall): string {
  if (stall.kind === "cursor-ahead") {
    return `cursor ${stall.offset} is past the durable end ${stall.durableOffset}: the journal ` +
      'was cut; run "stemedb ingest --rewind-cursor" before anything is appended';
  }
  return `at offset ${stall.offset}: ${stall.reason} in "${stall.file}"; stop the writer and ` +
    'run "stemedb repair --recovery point-in-time|skip-corrupt"';
}
