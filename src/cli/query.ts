/**
 * `stemedb query`: read the store: an assertion by hash, a subject's
 * assertions, the votes on an assertion with their tally, an epoch, epochs.
 *
 * @module
 */

import { openStore } from "../config/data_dir.ts";
import { DEFAULT_PAGE_LIMIT } from "../store/mod.ts";
import { type Command, type CommandInput, intOption, stringOption } from "./_command.ts";
import { emit, EXIT_FAILURE, EXIT_OK, printErr, UsageError } from "./_output.ts";
import type { KvStore } from "../store/mod.ts";

const KINDS = ["assertion", "subject", "votes", "epoch", "epochs"] as const;
type Kind = typeof KINDS[number];

/** The `query` command. */
export const queryCommand: Command = {
  name: "query",
  summary: "Query assertions, subjects, votes and epochs",
  usage: [
    "query assertion <hash>",
    "query subject <subject> [--limit <n>] [--cursor <c>]",
    "query votes <hash> [--limit <n>] [--cursor <c>]",
    "query epoch <id>",
    "query epochs [--limit <n>] [--cursor <c>]",
  ].join("\n"),
  description: [
    "Reads what the ingestor has applied to Deno KV. Lists are paginated: pass the printed",
    "cursor back with --cursor for the next page. `votes` also prints the tally.",
    "Exit code 1 when the assertion or epoch does not exist, 2 for a malformed hash, id or cursor.",
  ].join("\n"),
  options: {
    limit: {
      type: "string",
      value: "n",
      description: `Page size for lists (default ${DEFAULT_PAGE_LIMIT})`,
    },
    cursor: { type: "string", value: "c", description: "Continue a list from this cursor" },
  },
  positionals: [1, 2],
  run: runQuery,
};

async function runQuery(input: CommandInput): Promise<number> {
  const [kind, arg] = input.positionals;
  if (!(KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(
      `Unknown query "${kind}": expected one of ${KINDS.map((k) => `"${k}"`).join(", ")}`,
    );
  }
  const needsArg = kind !== "epochs";
  if (needsArg !== (arg !== undefined)) {
    throw new UsageError(
      needsArg
        ? `Cannot query "${kind}": missing argument`
        : `Cannot query "epochs": unexpected argument "${arg}"`,
    );
  }
  const page = {
    limit: intOption(input, "limit", DEFAULT_PAGE_LIMIT),
    cursor: stringOption(input, "cursor"),
  };
  const store = await openStore(input.config);
  try {
    let doc;
    try {
      doc = await query(store, kind as Kind, arg, page);
    } catch (error) {
      // The store throws TypeError for a malformed hash, epoch id or cursor: the caller's mistake.
      if (error instanceof TypeError) throw new UsageError(error.message);
      throw error;
    }
    if (doc === null) {
      printErr(`stemedb query: Cannot find ${kind} "${arg}"`);
      if (input.json) emit(true, { found: false, kind, key: arg }, () => "");
      return EXIT_FAILURE;
    }
    emit(input.json, doc, () => render(kind as Kind, doc));
    return EXIT_OK;
  } finally {
    store.close();
  }
}

async function query(
  store: KvStore,
  kind: Kind,
  arg: string | undefined,
  page: { limit: number; cursor?: string },
): Promise<Record<string, unknown> | null> {
  const opts = page.cursor ? page : { limit: page.limit };
  switch (kind) {
    case "assertion":
      return await store.getAssertion(arg!.toLowerCase()) as Record<string, unknown> | null;
    case "epoch":
      return await store.getEpoch(arg!.toLowerCase()) as Record<string, unknown> | null;
    case "subject": {
      const result = await store.listSubject(arg!, opts);
      return { subject: arg, items: result.items, cursor: result.cursor };
    }
    case "votes": {
      const hash = arg!.toLowerCase();
      const [result, tally] = await Promise.all([store.listVotes(hash, opts), store.tally(hash)]);
      return { assertion: hash, votes: result.items, cursor: result.cursor, tally };
    }
    case "epochs": {
      const result = await store.listEpochs(opts);
      return { items: result.items, cursor: result.cursor };
    }
  }
}

function render(kind: Kind, doc: Record<string, unknown>): string {
  const lines: string[] = [];
  if (kind === "assertion" || kind === "epoch") return JSON.stringify(doc, null, 2);
  const items = (kind === "votes" ? doc.votes : doc.items) as Record<string, unknown>[];
  for (const item of items) lines.push(JSON.stringify(item));
  if (items.length === 0) lines.push("(none)");
  if (kind === "votes") lines.push(`tally: ${JSON.stringify(doc.tally)}`);
  if (doc.cursor) lines.push(`next page: --cursor ${doc.cursor}`);
  return lines.join("\n");
}
