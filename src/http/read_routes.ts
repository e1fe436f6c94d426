/**
 * GET routes: an assertion by hash, the subjects, a subject's assertions
 * (optionally of one predicate), the assertions referencing an assertion, the
 * votes on an assertion with their tally, a voter's votes on an assertion,
 * epochs and an epoch's assertions, status and health.
 *
 * @module
 */

import { isEpochId, isHash, MAX_EPOCH_ID_BYTES, MAX_SUBJECT_BYTES } from "../records/mod.ts";
import type { AppContext } from "./context.ts";
import { HttpError } from "./errors.ts";
import type { Route, RouteParams } from "./router.ts";
import { collectShardStatus } from "../ingest/mod.ts";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "../telemetry/mod.ts";
import { DEFAULT_PAGE_LIMIT, MAX_LIST_BATCH as MAX_PAGE_LIMIT } from "../store/mod.ts";

type Handle = Route<AppContext>["handle"];

function get(pattern: string, handle: Handle): Route<AppContext> {
  return { method: "GET", pattern, write: false, handle };
}

/** The read routes. */
export const readRoutes: Route<AppContext>[] = [
  get("/health", (context) => {
    const { journal, store } = context;
    // A stalled ingestor serves reads but no longer applies the journal: not healthy.
    const stalled = context.ingestor?.stalled ?? null;
    const ok = journal?.closed !== true && store.closed !== true && stalled === null;
    return Promise.resolve(Response.json({
      ok,
      journal: journal?.id ?? null,
      durableOffset: journal?.closed === true ? null : journal?.durableOffset ?? null,
      ingestor: context.ingestor === undefined
        ? "none"
        : stalled !== null
        ? "stalled"
        : context.ingestor.running
        ? "running"
        : "stopped",
      ...(stalled === null ? {} : { stalled }),
    }, { status: ok ? 200 : 503 }));
  }),
  get("/status", async (context) => {
    const journals = await context.journals();
    // A read-only reader has no journal: the cursors in the store are what it knows.
    if (journals.length === 0) {
      return Response.json({ readOnly: true, cursors: await context.store.cursors() });
    }
    // This shard's records behind are counted by the tracker (exact at any size) once it has
    // indexed what is durable; the other shards' by reading.
    await context.lag?.settled().catch(() => {});
    return Response.json(
      await collectShardStatus(journals, context.store, {
        counter: context.lag,
        stalled: context.ingestor?.stalled ?? null,
      }),
    );
  }),
  get("/metrics", () =>
    Promise.resolve(
      new Response(renderPrometheus(), { headers: { "Content-Type": PROMETHEUS_CONTENT_TYPE } }),
    )),
  get("/assertions/:hash", async (context, _request, params) => {
    const hash = hexParam(params, "hash", isHash, "64 hex characters");
    return found(await context.store.getAssertion(hash), `assertion "${hash}"`);
  }),
  get("/assertions/:hash/votes", async (context, _request, params, url) => {
    const hash = hexParam(params, "hash", isHash, "64 hex characters");
    const [page, tally] = await Promise.all([
      context.store.listVotes(hash, pageOptions(url)),
      context.store.tally(hash),
    ]);
    return Response.json({ assertion: hash, votes: page.items, cursor: page.cursor, tally });
  }),
  get("/assertions/:hash/referrers", async (context, _request, params, url) => {
    const hash = hexParam(params, "hash", isHash, "64 hex characters");
    const page = await context.store.listReferrers(hash, pageOptions(url));
    return Response.json({ assertion: hash, items: page.items, cursor: page.cursor });
  }),
  get("/assertions/:hash/voters/:voter/votes", async (context, _request, params, url) => {
    const hash = hexParam(params, "hash", isHash, "64 hex characters");
    const page = await context.store.listVoterVotes(hash, params.voter, pageOptions(url));
    return Response.json({
      assertion: hash,
      voter: params.voter,
      items: page.items,
      cursor: page.cursor,
    });
  }),
  get("/subjects", async (context, _request, _params, url) => {
    const prefix = url.searchParams.get("prefix") ?? "";
    textParam("prefix", prefix);
    const page = await context.store.listSubjects({ ...pageOptions(url), prefix });
    return Response.json({ prefix, items: page.items, cursor: page.cursor });
  }),
  get("/subjects/:subject/assertions", async (context, _request, params, url) => {
    textParam("subject", params.subject);
    const predicate = url.searchParams.get("predicate") ?? undefined;
    const options = { ...pageOptions(url), ...(predicate === undefined ? {} : { predicate }) };
    const page = await context.store.listSubject(params.subject, options);
    return Response.json({
      subject: params.subject,
      ...(predicate === undefined ? {} : { predicate }),
      items: page.items,
      cursor: page.cursor,
    });
  }),
  get("/epochs", async (context, _request, _params, url) => {
    const page = await context.store.listEpochs(pageOptions(url));
    return Response.json({ items: page.items, cursor: page.cursor });
  }),
  get("/epochs/:id", async (context, _request, params) => {
    const id = hexParam(params, "id", isEpochId, EPOCH_ID_EXPECTED);
    return found(await context.store.getEpoch(id), `epoch "${id}"`);
  }),
  get("/epochs/:id/assertions", async (context, _request, params, url) => {
    const id = hexParam(params, "id", isEpochId, EPOCH_ID_EXPECTED);
    const page = await context.store.listEpochAssertions(id, pageOptions(url));
    return Response.json({ epoch: id, items: page.items, cursor: page.cursor });
  }),
];

const EPOCH_ID_EXPECTED = `an even number of hex characters, at most ${MAX_EPOCH_ID_BYTES * 2}`;

/** A text query parameter that must fit where subjects fit: well-formed, at most `MAX_SUBJECT_BYTES`. */
function textParam(name: string, value: string): void {
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > MAX_SUBJECT_BYTES) {
    throw new HttpError(
      400,
      "bad_request",
      `Cannot use ${name}: it is ${bytes} UTF-8 bytes, more than ${MAX_SUBJECT_BYTES}`,
    );
  }
  if (!value.isWellFormed()) {
    throw new HttpError(400, "bad_request", `Cannot use ${name}: it is not well-formed text`);
  }
}

function found(value: unknown, what: string): Response {
  if (value === null || value === undefined) {
    throw new HttpError(404, "not_found", `Cannot find ${what}`);
  }
  return Response.json(value);
}

/** A hex path parameter, any case, checked by the records module's predicate. */
function hexParam(
  params: RouteParams,
  name: string,
  valid: (value: string) => boolean,
  expected: string,
): string {
  const value = params[name].toLowerCase();
  if (!valid(value)) {
    throw new HttpError(
      400,
      "bad_request",
      `Cannot read ${name} "${params[name]}": expected ${expected}`,
    );
  }
  return value;
}

/** Parse `limit` and `cursor` query parameters. */
export function pageOptions(url: URL): { limit: number; cursor?: string } {
  const raw = url.searchParams.get("limit");
  const limit = raw === null ? DEFAULT_PAGE_LIMIT : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new HttpError(
      400,
      "bad_request",
      `Cannot use limit "${raw}": expected an integer from 1 to ${MAX_PAGE_LIMIT}`,
    );
  }
  const cursor = url.searchParams.get("cursor");
  return cursor ? { limit, cursor } : { limit };
}
