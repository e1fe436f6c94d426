/**
 * `?dedupe=true` on the write routes: records whose content is already
 * stored in KV (or repeat an earlier record of the same batch) are not
 * appended again; their receipts say `"skipped": true`.
 *
 * @module
 */

import { contentHash } from "../records/mod.ts";
import type { AppContext } from "./context.ts";
import { HttpError } from "./errors.ts";

/**
 * What a write answers for a record `?dedupe=true` did not append.
 *
 * @example Tell skipped receipts from appended ones
 * ```ts
 * import type { SkippedReceipt, WriteReceipt } from "@stemedb/ingest/http";
 *
 * const receipts: (WriteReceipt | SkippedReceipt)[] = [{ hash: "ab".repeat(32), skipped: true }];
 * console.assert(receipts.filter((r) => "skipped" in r && r.skipped).length === 1);
 * ```
 */
export interface SkippedReceipt {
  /** Content hash (BLAKE3-256 hex) of the record's payload. */
  hash: string;
  /** Always `true`: the record is already stored; nothing was appended. */
  skipped: true;
}

/**
 * For each record, whether `?dedupe=true` skips it; `null` when the request
 * does not ask for dedupe.
 *
 * @throws {HttpError} 400 `bad_request` if `dedupe` is not `true`, `1`, `false` or `0`.
 */
export async function dedupeSkips(
  context: AppContext,
  url: URL,
  records: readonly { payload: Uint8Array }[],
): Promise<boolean[] | null> {
  const value = url.searchParams.get("dedupe");
  if (value === null || value === "false" || value === "0") return null;
  if (value !== "true" && value !== "1") {
    throw new HttpError(
      400,
      "bad_request",
      `Cannot use dedupe "${value}": use true or false`,
      { details: { parameter: "dedupe" } },
    );
  }
  return await context.store.findStored(records.map((r) => r.payload));
}

/** The receipts of every record, in order: the appended ones' and the skipped ones'. */
export async function withSkipped<R extends object>(
  records: readonly { payload: Uint8Array }[],
  skip: readonly boolean[],
  appended: readonly R[],
): Promise<((R & { skipped: false }) | SkippedReceipt)[]> {
  let next = 0;
  return await Promise.all(
    records.map(async (record, i) =>
      skip[i]
        ? { hash: await contentHash(record.payload), skipped: true as const }
        : { ...appended[next++], skipped: false as const }
    ),
  );
}
