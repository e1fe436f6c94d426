// Cursor pagination over a Deno KV prefix, shared by every paginated query.

import type { ListOptions, Page } from "./types.ts";
import { DEFAULT_PAGE_LIMIT, MAX_LIST_BATCH } from "./limits.ts";
import { InvalidCursorError } from "./errors.ts";

/** Checks and defaults list options. */
export function pageLimit(action: string, options: ListOptions | undefined): number {
  const limit = options?.limit ?? DEFAULT_PAGE_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_BATCH) {
    throw new RangeError(
      `Cannot ${action}: limit must be an integer in [1, ${MAX_LIST_BATCH}], got ${limit}`,
    );
  }
  if (options?.cursor !== undefined && typeof options.cursor !== "string") {
    throw new TypeError(`Cannot ${action}: cursor must be a string`);
  }
  return limit;
}

/**
 * Reads one page of entries under `prefix` (a key prefix, or any list
 * selector): up to `limit` entries, and a cursor only if another entry
 * follows (found by reading one more).
 */
export async function listPage<V>(
  kv: Deno.Kv,
  action: string,
  prefix: Deno.KvKey | Deno.KvListSelector,
  options: ListOptions | undefined,
): Promise<Page<Deno.KvEntry<V>>> {
  const limit = pageLimit(action, options);
  const cursor = options?.cursor === "" ? undefined : options?.cursor;
  // One entry more than the page tells whether another page follows; Deno KV
  // reads at most MAX_LIST_BATCH entries per round trip.
  const batchSize = Math.min(limit + 1, MAX_LIST_BATCH);
  const selector: Deno.KvListSelector = Array.isArray(prefix)
    ? { prefix: prefix as Deno.KvKey }
    : prefix as Deno.KvListSelector;
  const iter = kv.list<V>(selector, { limit: limit + 1, cursor, batchSize });
  const items: Deno.KvEntry<V>[] = [];
  let next: string | null = null;
  let more = false;
  try {
    for await (const entry of iter) {
      if (items.length === limit) {
        more = true;
        break;
      }
      items.push(entry);
      // The cursor after the page's last entry, read before the look-ahead entry moves it.
      if (items.length === limit) next = iter.cursor;
    }
  } catch (cause) {
    if (options?.cursor !== undefined) {
      throw new InvalidCursorError(action, options.cursor, { cause });
    }
    throw cause;
  }
  // A full page without a following entry is the last page.
  return { items, cursor: more ? next : null };
}
