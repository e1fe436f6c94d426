/**
 * The referential checks of the write routes: a vote on an unknown
 * assertion, or a record naming an unknown epoch, is refused with 422 before
 * anything is appended, unless the request says `?allowUnknown=true`; an
 * epoch id known with other content is refused with 409. "Known" is in the
 * store or earlier in the same request. A record appended but not ingested
 * yet is not in the store: append it with `?wait=ingested` to make a
 * following request's references to it pass.
 *
 * @module
 */

import type { ParsedLine } from "../records/mod.ts";
import type { AppContext } from "./context.ts";
import { HttpError } from "./errors.ts";

/** Refuses the request (throws) at its first record whose references fail the check. */
export async function guardReferences(
  context: AppContext,
  request: { url: URL; records: ParsedLine[]; batch: boolean },
): Promise<void> {
  const allowUnknown = flagParam(request.url, "allowUnknown");
  const check = context.store.referenceCheck({ allowUnknown });
  // One read up front for the whole body's unknown references, not one per record.
  const problems = await check.checkAll(request.records);
  for (const [index, problem] of problems.entries()) {
    if (problem === null) continue;
    const where = request.batch ? `record ${index + 1}: ` : "";
    throw new HttpError(
      problem.code === "epoch_exists" ? 409 : 422,
      problem.code,
      `${where}${problem.message}`,
      { details: { field: problem.field, ...(request.batch ? { index } : {}) } },
    );
  }
}

/** A boolean query parameter: absent, `false` or `0` is false; `true` or `1` is true. */
function flagParam(url: URL, name: string): boolean {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "false" || raw === "0") return false;
  if (raw === "true" || raw === "1") return true;
  throw new HttpError(400, "bad_request", `Cannot use ${name} "${raw}": expected true or false`);
}
