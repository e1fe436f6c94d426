/**
 * `stemedb append [file|-]`: append records from NDJSON, one
 * `{"type":"assertion"|"vote"|"epoch", …}` per line. All or nothing by
 * default; `--skip-invalid` appends the valid lines and reports the rest.
 *
 * @module
 */

import { openJournal } from "../config/data_dir.ts";
import { type Command, type CommandInput, intOption, stringOption } from "./_command.ts";
import { readLines } from "./_lines.ts";
import {
  emit,
  EXIT_FAILURE,
  EXIT_OK,
  formatBytes,
  formatRate,
  printErr,
  rate,
  table,
  UsageError,
} from "./_output.ts";
import { startProgress } from "./_progress.ts";
import { openReferenceGate, REFERENCE_OPTIONS, type ReferenceGate } from "./_references.ts";
import { parseRecordLine } from "../records/mod.ts";
import type { Journal } from "../wal/mod.ts";

/** Most bytes of payload sent in one `appendBatch`. */
const BATCH_BYTES = 4 * 1024 * 1024;
/** Most rejects echoed on stderr (all of them go to `--rejects`). */
const MAX_ECHOED_REJECTS = 20;

/** One rejected input line. */
interface Reject {
  line: number;
  reason: string;
  field?: string;
  text: string;
}

interface Totals {
  records: number;
  payloadBytes: number;
  inputBytes: number;
  firstOffset: number | null;
  nextOffset: number | null;
  rejects: Reject[];
}

/** The `append` command. */
export const appendCommand: Command = {
  name: "append",
  summary: "Append records from NDJSON (a file or stdin) to the journal",
  usage: "append [file|-] [--skip-invalid [--rejects <file>]] [--allow-unknown]",
  description: [
    'Reads NDJSON from a file (or stdin when the file is omitted or "-"), one record per line:',
    '  {"type":"assertion","subject":"France","predicate":"capital","object":"Paris",...}',
    "Every line is validated before anything is appended: one bad line appends nothing and",
    'each bad line is reported as "line N: <reason>" (exit code 1). With --skip-invalid the',
    "valid lines are appended and the rejects are written to --rejects (NDJSON) or stderr.",
    "A vote on an assertion, or a record naming an epoch, that is neither in the store nor",
    "earlier in the input is a bad line unless --allow-unknown; so is an epoch id the store",
    "holds with other content.",
  ].join("\n"),
  options: {
    ...REFERENCE_OPTIONS,
    "skip-invalid": {
      type: "boolean",
      description: "Append the valid lines, reject the others (default: all or nothing)",
    },
    rejects: {
      type: "string",
      value: "file",
      description: "With --skip-invalid: write rejected lines here as NDJSON",
    },
    batch: {
      type: "string",
      value: "n",
      description: "Records per appendBatch (default 1000)",
    },
  },
  positionals: [0, 1],
  run: runAppend,
};

async function runAppend(input: CommandInput): Promise<number> {
  const skipInvalid = input.values["skip-invalid"] === true;
  const rejectsPath = stringOption(input, "rejects");
  if (rejectsPath !== undefined && !skipInvalid) {
    throw new UsageError('Cannot use "--rejects" without "--skip-invalid"');
  }
  const batchSize = intOption(input, "batch", 1000);
  const source = await openSource(input.positionals[0]);
  using refs = await openReferenceGate(input);
  const started = performance.now();
  const totals: Totals = {
    records: 0,
    payloadBytes: 0,
    inputBytes: source.size,
    firstOffset: null,
    nextOffset: null,
    rejects: [],
  };

  if (!skipInvalid) {
    // All or nothing: a first pass validates every line before the journal is touched.
    const progress = startProgress("validate", source.size);
    try {
      for await (const line of readLines(source.open())) {
        const reject = await check(line.number, line.text, refs);
        if (reject) totals.rejects.push(reject);
        if (line.number % 1000 === 0) progress.update(line.bytesRead, line.number);
      }
    } finally {
      progress.stop();
    }
    if (totals.rejects.length > 0) {
      echoRejects(totals.rejects);
      printErr(`Appended nothing: ${totals.rejects.length} invalid line(s)`);
      return finish(input, totals, started, EXIT_FAILURE);
    }
  }

  // This process does nothing but append: a quick flush may block its event loop.
  const journal = await openJournal(input.config, { blockingSyncMs: 1 });
  try {
    // All or nothing checked every line's references in the first pass already.
    const lineRefs = skipInvalid ? refs : null;
    await appendLines(journal, source.open(), totals, {
      batchSize,
      size: source.size,
      refs: lineRefs,
    });
  } finally {
    await journal.close();
  }
  if (totals.rejects.length > 0) {
    if (rejectsPath !== undefined) {
      await Deno.writeTextFile(
        rejectsPath,
        totals.rejects.map((r) => JSON.stringify(r) + "\n").join(""),
      );
      printErr(`Rejected ${totals.rejects.length} line(s), written to "${rejectsPath}"`);
    } else echoRejects(totals.rejects);
  }
  return finish(input, totals, started, EXIT_OK);
}

async function check(
  line: number,
  text: string,
  refs: ReferenceGate | null,
): Promise<Reject | null> {
  if (text.trim() === "") return null;
  const result = parseRecordLine(text);
  if (result.ok) {
    const refused = refs === null ? null : await refs.refuse(result);
    return refused === null ? null : { line, ...refused, text };
  }
  return {
    line,
    reason: result.reason,
    ...(result.field ? { field: result.field } : {}),
    text,
  };
}

async function appendLines(
  journal: Journal,
  stream: ReadableStream<Uint8Array>,
  totals: Totals,
  { batchSize, size, refs }: { batchSize: number; size: number; refs: ReferenceGate | null },
): Promise<void> {
  const progress = startProgress("append", size);
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const results = await journal.appendBatch(batch);
    totals.firstOffset ??= results[0].offset;
    totals.nextOffset = results[results.length - 1].next;
    totals.records += batch.length;
    totals.payloadBytes += batchBytes;
    batch = [];
    batchBytes = 0;
  };
  try {
    for await (const line of readLines(stream)) {
      if (line.text.trim() === "") continue;
      const result = parseRecordLine(line.text);
      if (!result.ok) {
        totals.rejects.push((await check(line.number, line.text, null))!);
        continue;
      }
      const refused = refs === null ? null : await refs.refuse(result);
      if (refused !== null) {
        totals.rejects.push({ line: line.number, ...refused, text: line.text });
        continue;
      }
      batch.push(result.payload);
      batchBytes += result.payload.byteLength;
      if (batch.length >= batchSize || batchBytes >= BATCH_BYTES) {
        await flush();
        progress.update(line.bytesRead, totals.records);
      }
    }
    await flush();
  } finally {
    progress.stop();
  }
}

function echoRejects(rejects: Reject[]): void {
  for (const r of rejects.slice(0, MAX_ECHOED_REJECTS)) printErr(`line ${r.line}: ${r.reason}`);
  if (rejects.length > MAX_ECHOED_REJECTS) {
    printErr(`… and ${rejects.length - MAX_ECHOED_REJECTS} more invalid line(s)`);
  }
}

function finish(input: CommandInput, totals: Totals, started: number, code: number): number {
  const elapsedMs = performance.now() - started;
  const doc = {
    ok: code === EXIT_OK,
    appended: totals.records,
    rejected: totals.rejects.length,
    rejects: totals.rejects.map(({ line, reason, field }) => ({ line, reason, field })),
    payloadBytes: totals.payloadBytes,
    inputBytes: totals.inputBytes,
    firstOffset: totals.firstOffset,
    nextOffset: totals.nextOffset,
    elapsedMs: Math.round(elapsedMs),
    recordsPerSecond: Math.round(rate(totals.records, elapsedMs)),
  };
  if (code === EXIT_OK || input.json) {
    emit(input.json, doc, () =>
      table([
        ["appended", `${totals.records} records (${formatBytes(totals.payloadBytes)} of payload)`],
        ["rejected", totals.rejects.length],
        ["input", formatBytes(totals.inputBytes)],
        ["offsets", `${totals.firstOffset ?? "-"} .. ${totals.nextOffset ?? "-"}`],
        ["elapsed", `${(elapsedMs / 1000).toFixed(2)} s`],
        ["rate", formatRate(totals.records, elapsedMs)],
      ]));
  }
  return code;
}

interface Source {
  size: number;
  open(): ReadableStream<Uint8Array>;
}

/** A file can be read twice; stdin is buffered so the two passes see the same bytes. */
async function openSource(path: string | undefined): Promise<Source> {
  if (path === undefined || path === "-") {
    const bytes = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
    return { size: bytes.byteLength, open: () => ReadableStream.from([bytes]) };
  }
  let size: number;
  try {
    size = (await Deno.stat(path)).size;
  } catch (error) {
    throw new Error(`Cannot read input "${path}": ${(error as Error).message}`);
  }
  return {
    size,
    open: () => {
      const file = Deno.openSync(path, { read: true });
      return file.readable;
    },
  };
}
