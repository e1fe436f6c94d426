/**
 * Errors the store's queries raise for a caller's mistake, by kind, so a
 * caller (the HTTP API answering 400) can tell them from a failing store.
 *
 * @module
 */

/**
 * A page cursor that the store did not hand out: Deno KV cannot decode it,
 * or it belongs to another list.
 *
 * @example Tell a bad cursor from a failing store
 * ```ts
 * import assert from "node:assert/strict";
 * import { InvalidCursorError, KvStore } from "@stemedb/ingest/store";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * await assert.rejects(store.listEpochs({ cursor: "\uFFFD\uFFFD" }), InvalidCursorError);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class InvalidCursorError extends TypeError {
  /** The cursor as given. */
  readonly cursor: string;

  /** An error for `cursor`, refused while doing `action`. */
  constructor(action: string, cursor: string, options?: ErrorOptions) {
    // Only the head of a long cursor: it is echoed to clients.
    super(`Cannot ${action}: invalid cursor "${cursor.slice(0, 80)}"`, options);
    this.name = "InvalidCursorError";
    this.cursor = cursor;
  }
}
