/**
 * Opening a Deno KV within a deadline, local or remote, and the options a
 * store is opened with.
 *
 * @module
 */

import { backoffDelay, sleep, withDeadline } from "./deadline.ts";
import { KvAuthError, kvFailureKind, KvTimeoutError } from "./kv_errors.ts";

/**
 * Options of `KvStore.open`.
 *
 * @example Open a store under a prefix
 * ```ts
 * import { KvStore, type KvStoreOptions } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const options: KvStoreOptions = { prefix: ["tenant-1"] };
 * const store = await KvStore.open(`${dir}/kv.sqlite`, options);
 * assert.deepEqual(store.keys.prefix, ["tenant-1"]);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface KvStoreOptions {
  /**
   * Key prefix every key of this store starts with, so several stores can
   * share one Deno KV. Its encoding may take at most `MAX_PREFIX_BYTES`.
   *
   * @default {[]}
   */
  prefix?: Deno.KvKey;
  /**
   * Deadline of every call to the KV, opening included, in milliseconds. A
   * call past it rejects with `KvTimeoutError`; `Infinity` waits forever
   * (what Deno's remote client alone does when the remote stops answering).
   *
   * @default {DEFAULT_KV_TIMEOUT_MS} (30 000)
   */
  timeoutMs?: number;
}

/**
 * `Deno.openKv`, retried with backoff while it fails transiently, until the
 * deadline. Deno's client gives up at once when the metadata exchange meets
 * a 5xx or a refused connection, though it waits out the same blip forever
 * a second later on the data path; this makes opening as patient, but bounded.
 */
export async function openKv(
  pathOrUrl: string,
  at: { target: string; timeoutMs: number },
): Promise<Deno.Kv> {
  const deadline = performance.now() + at.timeoutMs;
  let last: string | undefined;
  for (let attempt = 0;; attempt++) {
    const timeoutMs = Math.max(1, deadline - performance.now());
    try {
      return await withDeadline(() => Deno.openKv(pathOrUrl), {
        operation: "open",
        target: at.target,
        timeoutMs,
        onLate: (kv) => kv.close(),
      });
    } catch (error) {
      // Named with the whole deadline, not what was left of it for this attempt.
      if (error instanceof KvTimeoutError) {
        throw new KvTimeoutError({
          ...at,
          operation: "open",
          ...(last === undefined ? {} : { last }),
        });
      }
      const kind = kvFailureKind(error);
      if (kind === "unauthorized") throw new KvAuthError(at.target, { cause: error });
      if (kind !== "transient") throw error;
      last = error instanceof Error ? error.message : String(error);
      const wait = backoffDelay(attempt);
      if (performance.now() + wait >= deadline) {
        throw new KvTimeoutError({ ...at, operation: "open", last }, { cause: error });
      }
      await sleep(wait);
    }
  }
}
