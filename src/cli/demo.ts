/**
 * `stemedb demo`: loads the public `countries-list` dataset from npm, turns
 * countries into assertions (capital, continent, currencies, languages, …),
 * adds votes and an epoch, appends and ingests them, and prints sample queries
 * and the throughput.
 *
 * @module
 */

import {
  type Assertion,
  contentHash,
  type Epoch,
  serializeRecord,
  toHex,
  type Vote,
} from "../records/mod.ts";
import { Ingestor } from "../ingest/mod.ts";
import { openJournal, openStore } from "../config/data_dir.ts";
import type { Command, CommandInput } from "./_command.ts";
import { emit, EXIT_OK, formatRate, rate } from "./_output.ts";

/** Default data directory of the demo, kept apart from `./data`. */
export const DEMO_DATA_DIR = "./data/demo";

const SOURCE = "npm:countries-list@3.4.1";
/** Fixed timestamps keep the demo's records, and so their hashes, identical run to run. */
const TIMESTAMP = Date.UTC(2025, 0, 1);
const CHUNK = 1000;
const VOTERS = [["alice", 1], ["bob", 1], ["carol", 0.5], ["dave", -0.25]] as const;

/** The `demo` command. */
export const demoCommand: Command = {
  name: "demo",
  summary: "Load the countries-list dataset, ingest it and show sample queries",
  usage: "demo [--data <dir>]",
  description: [
    "Loads the npm package countries-list (about 250 countries) and turns each country into",
    "assertions: ISO code, capital, continent, currencies, languages, native name and calling",
    "code, all in one epoch, plus votes on some capitals. Appends them to the journal,",
    "ingests them into Deno KV, then prints sample queries and the throughput.",
    `Uses ${DEMO_DATA_DIR} unless --data or STEMEDB_DATA says otherwise. Records are`,
    "deterministic and those already stored are skipped, so running it again appends nothing.",
  ].join("\n"),
  options: {},
  positionals: [0, 0],
  defaultDataDir: DEMO_DATA_DIR,
  run: runDemo,
};

interface CountryInfo {
  name: string;
  native: string;
  capital: string;
  continent: string;
  currency: string[];
  languages: string[];
  phone: number[];
}

async function epochId(): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(SOURCE));
  return toHex(new Uint8Array(digest).slice(0, 16));
}

/** The dataset, in the shape the demo reads. */
interface Dataset {
  countries: Record<string, unknown>;
  continents: Record<string, string>;
  languages: Record<string, { name: string }>;
}

/**
 * Load the dataset. Imported here, not at the top of the module, so that
 * only running the demo loads it: every other command imports this module
 * (for its help) without paying for demo data.
 */
async function loadDataset(): Promise<Dataset> {
  const { continents, countries, languages } = await import("countries-list");
  return { countries, continents, languages };
}

/** Build the epoch and the assertions; the indexes of capital assertions are noted. */
function buildAssertions(
  dataset: Dataset,
  epoch: string,
): { assertions: Assertion[]; capitals: number[] } {
  const { countries, continents: continentNames, languages: languageNames } = dataset;
  const assertions: Assertion[] = [];
  const capitals: number[] = [];
  const add = (subject: string, predicate: string, object: string | number) =>
    assertions.push({
      subject,
      predicate,
      object,
      source: SOURCE,
      confidence: 0.95,
      epoch,
      timestamp: TIMESTAMP,
      tags: ["demo", "countries"],
    });
  for (const [code, raw] of Object.entries(countries)) {
    const c = raw as CountryInfo;
    add(c.name, "iso2", code);
    if (c.capital) {
      capitals.push(assertions.length);
      add(c.name, "capital", c.capital);
    }
    add(c.name, "continent", continentNames[c.continent] ?? c.continent);
    for (const currency of c.currency) add(c.name, "currency", currency);
    for (const lang of c.languages) add(c.name, "language", languageNames[lang]?.name ?? lang);
    if (c.native && c.native !== c.name) add(c.name, "native name", c.native);
    if (c.phone.length > 0) add(c.name, "calling code", c.phone[0]);
  }
  return { assertions, capitals };
}

async function runDemo(input: CommandInput): Promise<number> {
  const id = await epochId();
  const epoch: Epoch = {
    id,
    name: "countries-list 3.4.1",
    description: "Countries, capitals, continents, currencies and languages from npm",
    startTime: TIMESTAMP,
  };
  const dataset = await loadDataset();
  const { assertions, capitals } = buildAssertions(dataset, id);

  const journal = await openJournal(input.config);
  try {
    const store = await openStore(input.config);
    try {
      const ingestor = new Ingestor(journal, store);
      const ingested = { applied: 0, deadLettered: 0, ms: 0 };
      const ingestAll = async () => {
        const started = performance.now();
        while (true) {
          const report = await ingestor.runOnce();
          ingested.applied += report.applied;
          ingested.deadLettered += report.deadLettered;
          if (report.caughtUp) break;
        }
        ingested.ms += performance.now() - started;
      };
      // What an earlier run appended but did not ingest counts as loaded too.
      await ingestAll();

      const appendStarted = performance.now();
      const assertionPayloads = assertions.map((value) =>
        serializeRecord({ type: "assertion", value })
      );
      const hashes = await Promise.all(assertionPayloads.map(contentHash));
      const franceCapital = capitals.find((i) => assertions[i].subject === "France") ?? capitals[0];
      const voted = capitals.filter((i, n) => n < 40 || i === franceCapital);
      const votes: Vote[] = voted.flatMap((index, n) =>
        VOTERS.slice(0, index === franceCapital ? VOTERS.length : 1 + (n % VOTERS.length)).map((
          [voter, value],
        ) => ({ assertion: hashes[index], voter, value, epoch: id, timestamp: TIMESTAMP + 1 }))
      );
      const payloads = [
        serializeRecord({ type: "epoch", value: epoch }),
        ...assertionPayloads,
        ...votes.map((value) => serializeRecord({ type: "vote", value })),
      ];
      const stored = await store.findStored(payloads);
      const fresh = payloads.filter((_, i) => !stored[i]);
      for (let i = 0; i < fresh.length; i += CHUNK) {
        await journal.appendBatch(fresh.slice(i, i + CHUNK));
      }
      const records = payloads.length;
      const appendMs = performance.now() - appendStarted;
      await ingestAll();
      const { applied, deadLettered } = ingested;
      const ingestMs = ingested.ms;

      const capitalHash = hashes[franceCapital];
      const subject = assertions[franceCapital].subject;
      const [subjectPage, votePage, tally, storedEpoch] = await Promise.all([
        store.listSubject(subject, { limit: 20 }),
        store.listVotes(capitalHash, { limit: 10 }),
        store.tally(capitalHash),
        store.getEpoch(id),
      ]);
      const doc = {
        data: input.config,
        dataset: SOURCE,
        countries: Object.keys(dataset.countries).length,
        records: {
          total: records,
          assertions: assertions.length,
          votes: votes.length,
          epochs: 1,
        },
        append: {
          appended: fresh.length,
          skipped: records - fresh.length,
          elapsedMs: Math.round(appendMs),
          recordsPerSecond: Math.round(rate(fresh.length, appendMs)),
        },
        ingest: {
          applied,
          deadLettered,
          elapsedMs: Math.round(ingestMs),
          recordsPerSecond: Math.round(rate(applied + deadLettered, ingestMs)),
        },
        samples: {
          subject: { subject, items: subjectPage.items },
          votes: { assertion: capitalHash, votes: votePage.items, tally },
          epoch: storedEpoch,
        },
      };
      emit(
        input.json,
        doc,
        () => renderDemo(doc, subject, capitalHash, records, appendMs, ingestMs),
      );
      return EXIT_OK;
    } finally {
      store.close();
    }
  } finally {
    await journal.close();
  }
}

function renderDemo(
  doc: {
    data: { walDir: string; kv: string };
    countries: number;
    records: { assertions: number; votes: number };
    append: { appended: number; skipped: number };
    ingest: { applied: number; deadLettered: number };
    samples: {
      subject: { items: unknown[] };
      votes: { tally: unknown };
      epoch: unknown;
    };
  },
  subject: string,
  capitalHash: string,
  records: number,
  appendMs: number,
  ingestMs: number,
): string {
  const items = doc.samples.subject.items as { predicate: string; object: unknown }[];
  return [
    `Loaded ${doc.countries} countries from ${SOURCE}`,
    `  ${records} records: ${doc.records.assertions} assertions, ${doc.records.votes} votes, 1 epoch`,
    `  journal ${doc.data.walDir}, kv ${doc.data.kv}`,
    `append  ${(appendMs / 1000).toFixed(2)} s, ${
      formatRate(doc.append.appended, appendMs)
    } (durable): ${doc.append.appended} appended, ${doc.append.skipped} already stored or repeated`,
    `ingest  ${(ingestMs / 1000).toFixed(2)} s, ${formatRate(doc.ingest.applied, ingestMs)}` +
    ` (${doc.ingest.applied} applied, ${doc.ingest.deadLettered} dead-lettered)`,
    "",
    `$ stemedb query subject "${subject}"`,
    ...items.map((a) => `  ${a.predicate}: ${JSON.stringify(a.object)}`),
    "",
    `$ stemedb query votes ${capitalHash}`,
    `  tally: ${JSON.stringify(doc.samples.votes.tally)}`,
    "",
    "$ stemedb query epochs",
    `  ${JSON.stringify(doc.samples.epoch)}`,
    "",
    `Try: deno task query subject "Japan" --data ${doc.data.walDir.replace(/[\\/]wal$/, "")}`,
  ].join("\n");
}
