/**
 * `stemedb query`: read the store: an assertion by hash, the subjects, a
 * subject's assertions (optionally of one predicate), the assertions
 * referencing an assertion, the votes on an assertion with their tally, a
 * voter's votes on an assertion, an epoch, epochs, an epoch's assertions.
 *
 * @module
 */

import { openStore } from "../config/data_dir.ts";
import { DEFAULT_PAGE_LIMIT } from "../store/mod.ts";
import { type Command, type CommandInput, intOption, stringOption } from "./_command.ts";
import { emit, EXIT_FAILURE, EXIT_OK, printErr, UsageError } from "./_output.ts";
import type { KvStore } from "../store/mod.ts";

const KINDS = [
  "assertion",
  "subjects",
  "subject",
  "referrers",
  "votes",
  "history",
  "epoch",
  "epochs",
  "epoch-assertions",
] as const;
/** Positional arguments each query takes after its kind. */
const ARGS: Record<Kind, string[]> = {
  assertion: ["hash"],
  subjects: [],
  subject: ["subject"],
  referrers: ["hash"],
  votes: ["hash"],
  history: ["hash", "voter"],
  epoch: ["id"],
  epochs: [],
  "epoch-assertions": ["id"],
};
type Kind = typeof KINDS[number];

/** The `query` command. */
export const queryCommand: Command = {
  name: "query",
  summary: "Query assertions, subjects, votes and epochs",
  usage: [
    "query assertion <hash>",
    "query subjects [--prefix <text>] [--limit <n>] [--cursor <c>]",
    "query subject <subject> [--predicate <p>] [--limit <n>] [--cursor <c>]",
    "query referrers <hash> [--limit <n>] [--cursor <c>]",
    "query votes <hash> [--limit <n>] [--cursor <c>]",
    "query history <hash> <voter> [--limit <n>] [--cursor <c>]",
    "query epoch <id>",
    "query epochs [--limit <n>] [--cursor <c>]",
    "query epoch-assertions <id> [--limit <n>] [--cursor <c>]",
  ].join("\n"),
  description: [
    "Reads what the ingestor has applied to Deno KV. Lists are paginated: pass the printed",
    "cursor back with --cursor for the next page. `votes` also prints the tally; `history`",
    "lists every vote one voter cast on an assertion, oldest first; `referrers` lists the",
    "assertions whose object is a reference to the assertion.",
    "Exit code 1 when the assertion or epoch does not exist, 2 for a malformed hash, id or cursor.",
  ].join("\n"),
  options: {
    limit: {
      type: "string",
      value: "n",
      description: `Page size for lists (default ${DEFAULT_PAGE_LIMIT})`,
    },
    cursor: { type: "string", value: "c", description: "Continue a list from this cursor" },
    prefix: { type: "string", value: "text", description: "subjects: only those starting with it" },
    predicate: { type: "string", value: "p", description: "subject: only this predicate" },
  },
  positionals: [1, 3],
  run: runQuery,
};

async function runQuery(input: CommandInput): Promise<number> {
  const [kind, ...args] = input.positionals;
  if (!(KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(
      `Unknown query "${kind}": expected one of ${KINDS.map((k) => `"${k}"`).join(", ")}`,
    );
  }
  const wanted = ARGS[kind as Kind];
  if (args.length < wanted.length) {
    throw new UsageError(
      `Cannot query "${kind}": missing argument <${wanted[args.length]}>`,
    );
  }
  if (args.length > wanted.length) {
    throw new UsageError(`Cannot query "${kind}": unexpected argument "${args[wanted.length]}"`);
  }
  const arg = args[0];
  for (const [option, only] of [["prefix", "subjects"], ["predicate", "subject"]]) {
    if (input.values[option] !== undefined && kind !== only) {
      throw new UsageError(`Cannot use "--${option}" with query "${kind}": only with "${only}"`);
    }
  }
  const page = {
    limit: intOption(input, "limit", DEFAULT_PAGE_LIMIT),
    cursor: stringOption(input, "cursor"),
  };
  const store = await openStore(input.config);
  try {
    const filters = {
      prefix: stringOption(input, "prefix"),
      predicate: stringOption(input, "predicate"),
    };
    let doc;
    try {
      doc = await query(store, kind as Kind, args, { ...page, ...filters });
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
  args: string[],
  options: { limit: number; cursor?: string; prefix?: string; predicate?: string },
): Promise<Record<string, unknown> | null> {
  const opts = options.cursor ? { limit: options.limit, cursor: options.cursor } : {
    limit: options.limit,
  };
  const arg = args[0];
  switch (kind) {
    case "assertion":
      return await store.getAssertion(arg!.toLowerCase()) as Record<string, unknown> | null;
    case "epoch":
      return await store.getEpoch(arg!.toLowerCase()) as Record<string, unknown> | null;
    case "subjects": {
      const prefix = options.prefix ?? "";
      const result = await store.listSubjects({ ...opts, prefix });
      return { prefix, items: result.items, cursor: result.cursor };
    }
    case "subject": {
      const predicate = options.predicate;
      const result = await store.listSubject(arg, { ...opts, predicate });
      return { subject: arg, ...(predicate === undefined ? {} : { predicate }), ...result };
    }
    case "referrers": {
      const hash = arg.toLowerCase();
      return { assertion: hash, ...await store.listReferrers(hash, opts) };
    }
    case "history": {
      const hash = arg.toLowerCase();
      return {
        assertion: hash,
        voter: args[1],
        ...await store.listVoterVotes(hash, args[1], opts),
      };
    }
    case "epoch-assertions": {
      const id = arg.toLowerCase();
      return { epoch: id, ...await store.listEpochAssertions(id, opts) };
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
