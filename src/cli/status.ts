/**
 * `stemedb status`: segments, durable end, ingest cursor, lag and dead
 * letters. Opens the journal read-only, so it works while a writer runs.
 *
 * @module
 */

import { collectStatus, DEFAULT_DEAD_LETTER_LIMIT } from "../ingest/mod.ts";
import { openJournal, openStore } from "../config/data_dir.ts";
import { type Command, type CommandInput, intOption } from "./_command.ts";
import { emit, EXIT_OK, formatBytes, table } from "./_output.ts";

/** The `status` command. */
export const statusCommand: Command = {
  name: "status",
  summary: "Show segments, durable end, ingest cursor, lag and dead letters",
  usage: "status [--dead-letters <n>]",
  description: [
    "Shows the journal's segments and durable end, the ingest cursor of every journal",
    "feeding the store, this journal's lag in bytes and records, and its dead letters.",
    "The journal is opened read-only: safe while a writer or ingestor runs.",
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
  const journal = await openJournal(input.config, { readOnly: true });
  try {
    const store = await openStore(input.config);
    try {
      const report = await collectStatus(journal, store, { deadLetterLimit });
      emit(input.json, { data: input.config, ...report }, () => {
        const { ingest, deadLetters } = report;
        const lines = [
          table([
            ["journal", `${report.journal.id} (${report.journal.dir})`],
            ["kv", input.config.kv],
            ["segments", report.journal.segments.length],
            ["first offset", report.journal.firstOffset],
            ["durable end", report.journal.durableOffset],
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
            ...(ingest.stalled === null ? [] : [[
              "stalled",
              `at offset ${ingest.stalled.offset}: ${ingest.stalled.reason} in "${ingest.stalled.file}"`,
            ] as [string, string]]),
          ]),
          "",
          "Segments:",
          ...report.journal.segments.map((s) =>
            `  ${s.path}  ${s.base} .. ${s.end}  ${formatBytes(s.end - s.base)}${
              s.sealed ? "  sealed" : "  active"
            }`
          ),
        ];
        if (report.cursors.length > 0) {
          lines.push("", "Cursors:");
          for (const c of report.cursors) {
            lines.push(
              `  ${c.journalId}  offset ${c.offset}  ${new Date(c.updatedAt).toISOString()}`,
            );
          }
        }
        if (deadLetters.latest.length > 0) {
          lines.push("", "Latest dead letters:");
          for (const d of deadLetters.latest) lines.push(`  offset ${d.offset}: ${d.reason}`);
        }
        return lines.join("\n");
      });
      return EXIT_OK;
    } finally {
      store.close();
    }
  } finally {
    await journal.close();
  }
}
