/**
 * GET routes: an assertion by hash, a subject's assertions, the votes on an
 * assertion with their tally, epochs, status and health.
 *
 * @module
 */

import { isEpochId, isHash, MAX_EPOCH_ID_BYTES } from "../records/mod.ts";
import type { AppContext } from "./context.ts";
import { HttpError } from "./errors.ts";
import type { Route, RouteParams } from "./router.ts";
import { collectStatus } from "../ingest/mod.ts";
import { DEFAULT_PAGE_LIMIT, MAX_LIST_BATCH as MAX_PAGE_LIMIT } from "../store/mod.ts";

type Handle = Route<AppContext>["handle"];

function get(pattern: string, handle: Handle): Route<AppContext> {
  return { method: "GET", pattern, write: false, handle };
}

/** The read routes. */
export const readRoutes: Route<AppContext>[] = [
  get("/health", (context) => {
    // A stalled ingestor serves reads but no longer applies the journal: not healthy.
    const stalled = context.ingestor?.stalled ?? null;
    return Promise.resolve(Response.json({
      ok: stalled === null,
      journal: context.journal.id,
      durableOffset: context.journal.durableOffset,
      ingestor: context.ingestor === undefined
        ? "none"
        : stalled !== null
        ? "stalled"
        : context.ingestor.running
        ? "running"
        : "stopped",
      ...(stalled === null ? {} : { stalled }),
    }, { status: stalled === null ? 200 : 503 }));
  }),
  get(
    "/status",
    async (context) =>
      Response.json(
        await collectStatus(context.journal, context.store, {
          stalled: context.ingestor?.stalled ?? null,
        }),
      ),
  ),
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
  get("/subjects/:subject/assertions", async (context, _request, params, url) => {
    const page = await context.store.listSubject(params.subject, pageOptions(url));
    return Response.json({ subject: params.subject, items: page.items, cursor: page.cursor });
  }),
  get("/epochs", async (context, _request, _params, url) => {
    const page = await context.store.listEpochs(pageOptions(url));
    return Response.json({ items: page.items, cursor: page.cursor });
  }),
  get("/epochs/:id", async (context, _request, params) => {
    const id = hexParam(
      params,
      "id",
      isEpochId,
      `an even number of hex characters, at most ${MAX_EPOCH_ID_BYTES * 2}`,
    );
    return found(await context.store.getEpoch(id), `epoch "${id}"`);
  }),
];

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
