/**
 * POST /assertions, /votes and /epochs: one JSON object or an NDJSON batch
 * (`Content-Type: application/x-ndjson`), answered 201 once durable.
 *
 * @module
 */

import { IngestWaitError } from "../ingest/mod.ts";
import { toHex } from "../records/mod.ts";
import { readBody } from "./body.ts";
import { dedupeSkips, withSkipped } from "./dedupe.ts";
import type { AppContext } from "./context.ts";
import { HttpError } from "./errors.ts";
import { guardReferences } from "./reference_guard.ts";
import { type ParsedLine, parseRecordLine, type RecordKind } from "../records/mod.ts";
import type { Route } from "./router.ts";
import { endSpan, startChildSpan, telemetry } from "../telemetry/mod.ts";

/** What a write answers for each record. */
export interface WriteReceipt {
  /** Content hash (BLAKE3-256 hex) of the record's payload. */
  hash: string;
  /** Global journal offset the record was written at. */
  offset: number;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** The three write routes. */
export const writeRoutes: Route<AppContext>[] = [
  writeRoute("/assertions", "assertion"),
  writeRoute("/votes", "vote"),
  writeRoute("/epochs", "epoch"),
];

function writeRoute(pattern: string, type: RecordKind): Route<AppContext> {
  return {
    method: "POST",
    pattern,
    write: true,
    handle: (context, request, _params, url) => handleWrite(context, request, url, type, pattern),
  };
}

async function handleWrite(
  context: AppContext,
  request: Request,
  url: URL,
  type: RecordKind,
  pattern: string,
): Promise<Response> {
  const journal = context.journal;
  if (journal === undefined) {
    throw new HttpError(
      405,
      "method_not_allowed",
      `Cannot POST "${url.pathname}": this server is a read-only reader; send writes to a writer`,
      { headers: { Allow: "" } },
    );
  }
  const mediaType = (request.headers.get("content-type") ?? "application/json")
    .split(";")[0].trim().toLowerCase();
  const ndjson = mediaType === "application/x-ndjson" || mediaType === "application/ndjson";
  if (!ndjson && mediaType !== "application/json" && !mediaType.endsWith("+json")) {
    throw new HttpError(
      415,
      "unsupported_media_type",
      `Cannot accept content type "${mediaType}": use application/json or application/x-ndjson`,
    );
  }
  const bytes = await readBody(request, {
    maxBytes: context.maxBodyBytes,
    timeoutMs: context.bodyTimeoutMs,
  });
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new HttpError(400, "malformed_json", "Cannot parse request body: not valid UTF-8");
  }
  const parsed = ndjson ? parseBatch(text, type) : [parseOne(text, type, undefined)];
  await guardReferences(context, { url, records: parsed, batch: ndjson });
  const skip = await dedupeSkips(context, url, parsed);
  const fresh = skip === null ? parsed : parsed.filter((_, i) => !skip[i]);
  const results = fresh.length === 0 ? [] : await append(context, journal, fresh, pattern);
  const appended: WriteReceipt[] = results.map((r) => ({
    hash: toHex(r.digest),
    offset: r.offset,
  }));
  const receipts = skip === null ? appended : await withSkipped(parsed, skip, appended);
  const headers: Record<string, string> = {};
  if (skip !== null) headers["Stemedb-Skipped"] = String(parsed.length - fresh.length);
  if (url.searchParams.get("wait") === "ingested") {
    // Nothing appended: everything asked for is stored already.
    const ingested = results.length === 0 ||
      await waitIngested(context, results[results.length - 1].offset);
    headers["Stemedb-Ingested"] = String(ingested);
  }
  const status = results.length === 0 ? 200 : 201;
  return Response.json(ndjson ? receipts : receipts[0], { status, headers });
}

/**
 * Append the records in one group commit, inside a `wal.group_commit` span
 * (this request's records and bytes; the group's records, bytes and
 * fdatasync time once the lag tracker has counted it), timing the wait in
 * `stemedb.append.duration`.
 */
async function append(
  context: AppContext,
  journal: NonNullable<AppContext["journal"]>,
  parsed: ParsedLine[],
  route: string,
): Promise<AppendResult[]> {
  let bytes = 0;
  for (const p of parsed) bytes += p.payload.byteLength;
  const span = startChildSpan("wal.group_commit", {
    "stemedb.records": parsed.length,
    "stemedb.bytes": bytes,
  });
  const started = performance.now();
  let results: AppendResult[];
  try {
    results = parsed.length === 1
      ? [await journal.append(parsed[0].payload)]
      : await journal.appendBatch(parsed.map((p) => p.payload));
  } catch (error) {
    endSpan(span, { error });
    throw error;
  }
  telemetry.appendDuration.record(performance.now() - started, { route });
  context.lag?.observe(results);
  const endTime = new Date();
  const group = context.lag?.group(results[results.length - 1].next) ?? Promise.resolve(undefined);
  // The group's figures arrive once the tracker has indexed it (moments later);
  // the response does not wait for them.
  group.then((g) =>
    endSpan(span, {
      endTime: endTime.getTime(),
      attributes: g === undefined ? {} : {
        "stemedb.group.records": g.records,
        "stemedb.group.bytes": g.end - g.from,
        ...(g.syncMs === undefined ? {} : { "stemedb.group.fdatasync_ms": g.syncMs }),
      },
    })
  );
  return results;
}

type AppendResult = { offset: number; next: number; digest: Uint8Array };

function parseBatch(text: string, type: RecordKind): ParsedLine[] {
  const parsed: ParsedLine[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    if (line.trim() === "") continue;
    parsed.push(parseOne(line, type, i + 1));
  }
  if (parsed.length === 0) {
    throw new HttpError(400, "malformed_json", "Cannot parse request body: no records in batch");
  }
  return parsed;
}

function parseOne(text: string, type: RecordKind, line: number | undefined): ParsedLine {
  if (line === undefined && text.trim() === "") {
    throw new HttpError(400, "malformed_json", "Cannot parse request body: it is empty");
  }
  const result = parseRecordLine(text, { type });
  if (result.ok) return result;
  const where = line === undefined ? "" : `line ${line}: `;
  const details = {
    ...(line === undefined ? {} : { line }),
    ...(result.field === undefined ? {} : { field: result.field }),
  };
  if (result.kind === "json") {
    throw new HttpError(400, "malformed_json", `${where}${result.reason}`, { details });
  }
  throw new HttpError(422, "invalid_record", `${where}${result.reason}`, { details });
}

/**
 * Wait, up to the app's limit, for the in-process ingestor to apply the
 * record at `offset`; `false` on timeout, when no ingestor that can wait runs
 * here, or when it stopped or failed first.
 */
async function waitIngested(context: AppContext, offset: number): Promise<boolean> {
  const waitFor = context.ingestor?.waitFor?.bind(context.ingestor);
  if (waitFor === undefined) return false;
  try {
    await waitFor(offset, { timeoutMs: context.waitTimeoutMs });
    return true;
  } catch (e) {
    if (e instanceof IngestWaitError) return false;
    throw e;
  }
}
