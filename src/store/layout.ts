/**
 * The layout version a store's keys are written in, kept under
 * `[...p, "_meta", "layout"]`, and the check `KvStore.open()` makes of it.
 *
 * | version | layout                                                                  |
 * | ------- | ----------------------------------------------------------------------- |
 * | 1       | `H`, `S`, `V`, `E` (last epoch in log order), `_ingest`; no version key |
 * | 2       | 1 plus indexes, winners `W`, tallies `T`, guards; epochs by rule        |
 * | 3       | 2 with key hashes as 32 bytes (not 64 hex); empty subject-index values  |
 *
 * @module
 */

import type { KeyLayout } from "./keys.ts";
import { kvSet } from "./plan.ts";
import type { KvSet } from "./types.ts";

/** The layout version this code reads and writes. */
export const LAYOUT_VERSION = 3;

/** What is wrong with a store's layout. */
export type StoreLayoutErrorKind = "needs-migration" | "newer";

/**
 * A store written in another layout than this code's: an older one (run
 * `deno task migrate`) or a newer one (upgrade). Read `kind`, not the message.
 *
 * @example Tell an old store from a new one
 * ```ts
 * import { StoreLayoutError } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const error = new StoreLayoutError("needs-migration", 1);
 * assert.equal(error.kind, "needs-migration");
 * assert.match(error.message, /deno task migrate/);
 * ```
 */
export class StoreLayoutError extends Error {
  /** Why the store cannot be used as it is. */
  readonly kind: StoreLayoutErrorKind;
  /** The layout version found (1 for a store written before versions were kept). */
  readonly found: number;

  /**
   * An error for a store found in layout `found`; `migrating` when a
   * migration was started and has not finished.
   */
  constructor(kind: StoreLayoutErrorKind, found: number, migrating = false) {
    super(
      kind === "newer"
        ? `Cannot open store: its layout version is ${found}, newer than ${LAYOUT_VERSION} (this version); upgrade stemedb`
        : migrating
        ? `Cannot open store: its migration to layout version ${LAYOUT_VERSION} has not finished; run "deno task migrate" to finish it, then open it again`
        : `Cannot open store: its layout version is ${found}, older than ${LAYOUT_VERSION}; run "deno task migrate" to bring it to layout ${LAYOUT_VERSION}, then open it again`,
    );
    this.name = "StoreLayoutError";
    this.kind = kind;
    this.found = found;
  }
}

/** Key parts a store of any layout writes its data under. */
const DATA_PARTS = (keys: KeyLayout) => [
  keys.assertions(),
  keys.allVotes(),
  keys.epochs(),
  keys.cursors(),
];

/** Whether the store holds any data (any record, cursor or migration state). */
async function hasData(kv: Deno.Kv, keys: KeyLayout): Promise<boolean> {
  for (const prefix of DATA_PARTS(keys)) {
    for await (const _ of kv.list({ prefix }, { limit: 1 })) return true;
  }
  return (await kv.get(keys.migration())).versionstamp !== null;
}

/**
 * The layout version of the store under `keys`: the stored version, or 1
 * for a store that holds data but no version key (written before versions
 * were kept), or `null` for an empty store.
 */
export async function readLayout(kv: Deno.Kv, keys: KeyLayout): Promise<number | null> {
  const version = () => kv.get<number>(keys.layout(), { consistency: "strong" });
  const entry = await version();
  if (entry.value !== null) return entry.value;
  if (!(await hasData(kv, keys))) return null;
  // Another writer's first commit may have landed between the two reads: it
  // carries the version with its data, so a version read after seeing the
  // data sees it too, unless the data predates versions.
  return (await version()).value ?? 1;
}

/**
 * The set every commit carries: data and the layout it is written in land
 * together, so a store holding data without a version key was written
 * before versions were kept (layout 1).
 */
export function layoutSet(keys: KeyLayout): KvSet {
  return kvSet(keys.layout(), LAYOUT_VERSION);
}

/**
 * Checks that the store under `keys` is empty or in `LAYOUT_VERSION`.
 * Writes nothing: the first commit marks an empty store (`layoutSet`).
 *
 * @throws {StoreLayoutError} If it is in another layout, or a migration has not finished.
 */
export async function checkLayout(kv: Deno.Kv, keys: KeyLayout): Promise<void> {
  const migrating = await kv.get(keys.migration());
  if (migrating.versionstamp !== null) throw new StoreLayoutError("needs-migration", 1, true);
  const found = await readLayout(kv, keys);
  if (found === null || found === LAYOUT_VERSION) return;
  throw new StoreLayoutError(found > LAYOUT_VERSION ? "newer" : "needs-migration", found);
}
