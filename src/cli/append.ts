/**
 * `stemedb append [file|-]`: append records from NDJSON, one
 * `{"type":"assertion"|"vote"|"epoch", …}` per line. All or nothing by
 * default; `--skip-invalid` appends the valid lines and reports the rest. A run
 * that stops part-way (a failure, SIGINT/SIGTERM) says exactly what it
 * appended and the `--from-line` that resumes it without duplicates.
 *
 * @module
 */

import { openJournal, openStore } from "../config/data_dir.ts";
import { type Command, type CommandInput, intOption, stringOption } from "./_command.ts";
import { type Line, readLineGroups, readLines } from "./_lines.ts";
import { openSource, type Source } from "./_append_source.ts";
import {
  echoRejects,
  finish,
  type InFlight,
  type Reject,
  reportStopped,
  type Totals,
} from "./_append_report.ts";
import { EXIT_FAILURE, EXIT_OK, printErr, UsageError } from "./_output.ts";
import { progressWanted, startPhase } from "./_progress.ts";
import { openReferenceGate, REFERENCE_OPTIONS, type ReferenceGate } from "./_references.ts";
import { MAX_PAYLOAD_BYTES, type ParsedLine, parseRecordLine } from "../records/mod.ts";
import type { KvStore } from "../store/mod.ts";
import type { Journal } from "../wal/mod.ts";
import { onStopSignal } from "./_signals.ts";
import { PayloadSpool, type SpoolBatch } from "./_payload_spool.ts";

/** Most bytes of payload sent in one `appendBatch`. */
const BATCH_BYTES = 4 * 1024 * 1024;
/**
 * Most payload bytes an all-or-nothing run holds between its validation pass
 * and its append pass; the lines past it are parsed again in the append pass.
 */
const SPOOL_BYTES = 256 * 1024 * 1024;
/**
 * Longest input line: the JSON of the largest payload with every string byte
 * escaped (`\u00XX`, six bytes for one). Longer lines cannot hold a valid
 * record, so they are refused as soon as they pass this, without being held.
 */
export const MAX_LINE_BYTES = 6 * MAX_PAYLOAD_BYTES;

/** The `append` command. */
export const appendCommand: Command = {
  name: "append",
  summary: "Append records from NDJSON (a file or stdin) to the journal",
  usage:
    "append [file|-] [--skip-invalid [--rejects <file>]] [--batch <n>] [--from-line <n>] [--dedupe] [--allow-unknown]",
  description: [
    'Reads NDJSON from a file (or stdin when the file is omitted or "-"), one record per line:',
    '  {"type":"assertion","subject":"France","predicate":"capital","object":"Paris",...}',
    "Every line is validated before anything is appended: one bad line appends nothing and",
    'each bad line is reported as "line N: <reason>" (exit code 1). With --skip-invalid the',
    "valid lines are appended and every bad one (bad JSON or record, not UTF-8, longer than",
    `${MAX_LINE_BYTES} bytes) is written to --rejects (NDJSON) or stderr.`,
    "A run stopped part-way (a failure, Ctrl-C) prints what it appended, with offsets, and",
    "the --from-line that appends the rest without duplicates (exit code 1).",
    "With --dedupe, records already stored in Deno KV (--kv) or repeated within a batch are",
    "skipped and counted; records appended but not yet ingested are not seen.",
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
    "from-line": {
      type: "string",
      value: "n",
      description: "Start at input line n (resume a run that stopped; default 1)",
    },
    dedupe: {
      type: "boolean",
      description: "Skip records already stored in Deno KV (or repeated in a batch)",
    },
  },
  positionals: [0, 1],
  run: (input) => runAppend(input),
};

/**
 * Run `append` on parsed input. `spoolBytes` bounds the payloads an
 * all-or-nothing run holds between its passes (smaller in tests, to reach the
 * lines parsed again).
 */
export async function runAppend(input: CommandInput, spoolBytes = SPOOL_BYTES): Promise<number> {
  const skipInvalid = input.values["skip-invalid"] === true;
  const rejectsPath = stringOption(input, "rejects");
  if (rejectsPath !== undefined && !skipInvalid) {
    throw new UsageError('Cannot use "--rejects" without "--skip-invalid"');
  }
  const batchSize = intOption(input, "batch", 1000);
  const fromLine = intOption(input, "from-line", 1);
  // One pass with --skip-invalid, so stdin can stream; all or nothing reads it twice.
  const source = await openSource(input.positionals[0], { once: skipInvalid });
  const progress = progressWanted(input.json);
  using refs = await openReferenceGate(input);
  const started = performance.now();
  const totals: Totals = {
    records: 0,
    skipped: 0,
    payloadBytes: 0,
    inputBytes: source.size ?? 0,
    firstOffset: null,
    lastOffset: null,
    nextOffset: null,
    doneThroughLine: fromLine - 1,
    rejects: [],
    inFlight: null,
  };

  let spool: PayloadSpool | null = null;
  if (!skipInvalid) {
    // All or nothing: a first pass validates every line before the journal is
    // touched, and holds the payloads so that the append pass parses nothing.
    spool = new PayloadSpool(spoolBytes);
    const phase = startPhase({
      label: "validate",
      unit: "bytes",
      total: source.size,
      enabled: progress,
    });
    // Lines are checked in groups, so that the referential check reads the
    // store once a group (ten keys a read) instead of once a line.
    const held = spool;
    // Two arrays, not an object per line: the loop allocates little beside parsing.
    let groupLines: Line[] = [];
    let groupParsed: (ParsedLine | Reject | null)[] = [];
    const settle = async () => {
      const ok: ParsedLine[] = [];
      for (const parsed of groupParsed) if (parsed !== null && "record" in parsed) ok.push(parsed);
      const refused = refs === null ? [] : await refs.refuseAll(ok);
      let next = 0;
      for (let i = 0; i < groupLines.length; i++) {
        const line = groupLines[i];
        const parsed = groupParsed[i];
        if (parsed !== null && "reason" in parsed) totals.rejects.push(parsed);
        else if (parsed !== null && refs !== null) {
          const refusal = refused[next++];
          if (refusal !== null) {
            const text = "problem" in line ? "" : line.text;
            totals.rejects.push({ line: line.number, ...refusal, text });
          }
        }
        phase.update(line.bytesRead);
      }
      groupLines = [];
      groupParsed = [];
    };
    const chunks = readLineGroups(source.open(), { maxLineBytes: MAX_LINE_BYTES });
    for await (const lines of chunks) {
      for (const line of lines) {
        if (line.number < fromLine) continue;
        const parsed = "problem" in line ? problemReject(line) : parseText(line.number, line.text, {
          // Borrowed: copied at once into the spool (or out of the encoder's buffer).
          borrow: true,
        });
        // Once a line is bad nothing is appended: holding more payloads is no use.
        // Lines a group's referential check refuses are held until then: no harm.
        const holding = totals.rejects.length === 0;
        if (parsed === null) {
          if (holding) held.offered(line.number);
        } else if ("record" in parsed) {
          parsed.payload = (holding ? held.add(parsed.payload, line) : null) ??
            parsed.payload.slice();
        }
        groupLines.push(line);
        groupParsed.push(parsed);
        if (groupLines.length >= CHECK_GROUP) await settle();
      }
    }
    await settle();
    phase.finish();
    if (totals.rejects.length > 0) {
      echoRejects(totals.rejects);
      printErr(`Appended nothing: ${totals.rejects.length} invalid line(s)`);
      return finish(input, totals, started, EXIT_FAILURE);
    }
  }

  const stop = onStopSignal();
  let failure: unknown = null;
  try {
    // This process does nothing but append: a quick flush may block its event loop.
    const journal = await openJournal(input.config, { blockingSyncMs: 1 });
    let store: KvStore | null = null;
    try {
      if (input.values.dedupe === true) store = await openStore(input.config);
      await appendLines(journal, source, totals, {
        batchSize,
        fromLine,
        signal: stop.signal,
        progress,
        store,
        // All or nothing checked every line's references in the first pass already.
        refs: skipInvalid ? refs : null,
        spool,
      });
    } catch (error) {
      failure = error;
    } finally {
      store?.close();
      await journal.close().catch((error) => failure ??= error);
    }
  } finally {
    stop.dispose();
  }
  const uncertain = totals.inFlight === null ? null : await settle(input, totals, totals.inFlight);
  if (totals.rejects.length > 0) {
    if (rejectsPath !== undefined) {
      await Deno.writeTextFile(
        rejectsPath,
        totals.rejects.map((r) => JSON.stringify(r) + "\n").join(""),
      );
      printErr(`Rejected ${totals.rejects.length} line(s), written to "${rejectsPath}"`);
    } else echoRejects(totals.rejects);
  }
  if (failure !== null || stop.signal.aborted) {
    return reportStopped(input, totals, started, {
      cause: failure ?? stop.signal.reason,
      uncertain,
    });
  }
  return finish(input, totals, started, EXIT_OK);
}

/** How many lines the validation pass checks the references of at once. */
const CHECK_GROUP = 1_000;

/** A line parsed, or why it is rejected, or `null` for a blank line; references not checked. */
function parseText(
  line: number,
  text: string,
  options: { borrow?: boolean } = {},
): ParsedLine | Reject | null {
  if (text.trim() === "") return null;
  const result = parseRecordLine(text, options);
  if (result.ok) return result;
  return {
    line,
    reason: result.reason,
    ...(result.field ? { field: result.field } : {}),
    text,
  };
}

/** A line's payload, or why it is rejected, or `null` for a blank line. */
async function parseLine(
  line: number,
  text: string,
  refs: ReferenceGate | null,
): Promise<Uint8Array | Reject | null> {
  const parsed = parseText(line, text);
  if (parsed === null || "reason" in parsed) return parsed;
  const refused = refs === null ? null : await refs.refuse(parsed);
  return refused === null ? parsed.payload : { line, ...refused, text };
}

function problemReject(line: { number: number; problem: string }): Reject {
  return { line: line.number, reason: line.problem };
}

interface AppendOptions {
  batchSize: number;
  fromLine: number;
  signal: AbortSignal;
  progress: boolean;
  /** With `--dedupe`: the store whose records are skipped. */
  store: KvStore | null;
  /** The referential check of each line, or null when a first pass made it. */
  refs: ReferenceGate | null;
  /** The payloads the validation pass held: appended as they are, not parsed again. */
  spool: PayloadSpool | null;
}

async function appendLines(
  journal: Journal,
  source: Source,
  totals: Totals,
  options: AppendOptions,
): Promise<void> {
  const phase = startPhase({
    label: "append",
    unit: "bytes",
    total: source.size,
    enabled: options.progress,
  });
  /** Append one batch; once it is in, every line through `throughLine` is done. */
  const appendBatch = async (batch: SpoolBatch, throughLine: number) => {
    if (batch.payloads.length > 0 && options.store !== null) {
      const stored = await options.store.findStored(batch.payloads);
      const keep = (_: unknown, i: number) => !stored[i];
      totals.skipped += stored.filter(Boolean).length;
      const payloads = batch.payloads.filter(keep);
      batch = {
        ...batch,
        payloads,
        lines: batch.lines.filter(keep),
        bytes: payloads.reduce((n, p) => n + p.byteLength, 0),
      };
    }
    if (batch.payloads.length > 0) {
      const start = totals.nextOffset ?? journal.durableOffset;
      totals.inFlight = { start, payloads: batch.payloads, lines: batch.lines, throughLine };
      const results = await journal.appendBatch(batch.payloads);
      totals.inFlight = null;
      acknowledge(totals, results, batch.bytes);
    }
    totals.doneThroughLine = throughLine;
  };
  const limits = { maxRecords: options.batchSize, maxBytes: BATCH_BYTES };
  try {
    const { spool } = options;
    if (spool !== null) {
      for (const batch of spool.batches(limits)) {
        if (options.signal.aborted) return;
        phase.update(batch.bytesRead, { detail: `${totals.records} records` });
        await appendBatch(batch, batch.lines.at(-1)!);
      }
      if (options.signal.aborted) return;
      totals.doneThroughLine = spool.throughLine;
      if (!spool.full) return;
    }
    await parseAndAppend(source, totals, {
      ...options,
      fromLine: spool?.full ? spool.throughLine + 1 : options.fromLine,
      limits,
      phase,
      appendBatch,
    });
  } finally {
    phase.finish();
  }
}

/** The append pass over lines not held in a spool: parse each line, append in batches. */
async function parseAndAppend(
  source: Source,
  totals: Totals,
  options: AppendOptions & {
    limits: { maxRecords: number; maxBytes: number };
    phase: ReturnType<typeof startPhase>;
    appendBatch: (batch: SpoolBatch, throughLine: number) => Promise<void>;
  },
): Promise<void> {
  const { limits, phase } = options;
  let batch: SpoolBatch = { payloads: [], lines: [], bytes: 0, bytesRead: 0 };
  let lastLine = totals.doneThroughLine;
  const lines = readLines(source.open(), { maxLineBytes: MAX_LINE_BYTES, signal: options.signal });
  for await (const line of lines) {
    if (line.number < options.fromLine) continue;
    lastLine = line.number;
    if (source.size === undefined) totals.inputBytes = line.bytesRead;
    phase.update(line.bytesRead, { detail: `${totals.records + batch.payloads.length} records` });
    const parsed = "problem" in line
      ? problemReject(line)
      : await parseLine(line.number, line.text, options.refs);
    if (parsed === null) continue;
    if ("reason" in parsed) {
      totals.rejects.push(parsed);
      continue;
    }
    batch.payloads.push(parsed);
    batch.lines.push(line.number);
    batch.bytes += parsed.byteLength;
    if (batch.payloads.length >= limits.maxRecords || batch.bytes >= limits.maxBytes) {
      await options.appendBatch(batch, lastLine);
      batch = { payloads: [], lines: [], bytes: 0, bytesRead: 0 };
    }
  }
  // Also when stopped by a signal: the lines in hand were read whole, so they go in.
  await options.appendBatch(batch, lastLine);
}

function acknowledge(
  totals: Totals,
  results: readonly { offset: number; next: number }[],
  payloadBytes: number,
): void {
  totals.firstOffset ??= results[0].offset;
  totals.lastOffset = results[results.length - 1].offset;
  totals.nextOffset = results[results.length - 1].next;
  totals.records += results.length;
  totals.payloadBytes += payloadBytes;
}

/**
 * After a failed `appendBatch`, reopen the journal so recovery decides what
 * of the batch stays (a write can fail after some of its records reached the
 * disk whole), and count those records as appended: they are the batch's
 * first ones, byte for byte. Returns why that could not be told, or `null`.
 */
async function settle(
  input: CommandInput,
  totals: Totals,
  inFlight: InFlight,
): Promise<string | null> {
  totals.inFlight = null;
  let journal: Journal;
  try {
    journal = await openJournal(input.config);
  } catch (error) {
    return `Cannot tell how much of the last batch (lines ${inFlight.lines[0]} .. ${
      inFlight.lines.at(-1)
    }) is in the journal: reopening it failed: ${(error as Error).message}`;
  }
  try {
    const kept: { offset: number; next: number }[] = [];
    let bytes = 0;
    for await (const record of journal.readFrom(inFlight.start)) {
      const expected = inFlight.payloads[kept.length];
      if (expected === undefined || !equalBytes(record.payload, expected)) break;
      kept.push(record);
      bytes += expected.byteLength;
    }
    if (kept.length > 0) acknowledge(totals, kept, bytes);
    totals.doneThroughLine = kept.length === inFlight.payloads.length
      ? inFlight.throughLine
      : inFlight.lines[kept.length] - 1;
    return null;
  } finally {
    // What was read is what counts; a failing close changes nothing of it.
    await journal.close().catch(() => {});
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}
