/**
 * The commits a migration writes: sets, whole-value counters and deletes,
 * packed within Deno KV's limits, each commit carrying the migration's
 * progress when asked, every call bounded by the migration's deadline.
 *
 * @module
 */

import { addCost, type CommitCost, commitCost, fitsBeside, roomLeft } from "./commit.ts";
import { packLimits } from "./_batch_packer.ts";
import { keyBytes } from "./key_size.ts";
import type { KeyLayout } from "./keys.ts";
import { kvSet } from "./kv_set.ts";
import type { KvSet } from "./types.ts";
import type { KvSum } from "./consensus_types.ts";

/** A call to the KV a migration makes, bounded by its deadline. */
export type MigrationCall = <T>(operation: string, fn: (kv: Deno.Kv) => Promise<T>) => Promise<T>;

/** A key to delete, measured as Deno KV counts it (its key, once in each total). */
interface KvDelete {
  delete: Deno.KvKey;
  bytes: number;
  keyBytes: number;
}

/** Collects a migration's mutations into commits that fit Deno KV's limits. */
export class MigrationWriter {
  #call: MigrationCall;
  #keys: KeyLayout;
  #sets: KvSet[] = [];
  #counters: KvSum[] = [];
  #deletes: KvDelete[] = [];
  #used: CommitCost = { mutations: 0, bytes: 0, keyBytes: 0 };
  #limits: CommitCost;

  /** A writer through `call` for the store under `keys`; `progress` is the largest progress value. */
  constructor(call: MigrationCall, keys: KeyLayout, progress: unknown) {
    this.#call = call;
    this.#keys = keys;
    // Room for the progress set a commit may end with, less the packer's safety margin.
    this.#limits = packLimits(roomLeft(commitCost([kvSet(keys.migration(), progress)])));
  }

  /** Mutations collected and not committed yet. */
  get pending(): number {
    return this.#sets.length + this.#counters.length + this.#deletes.length;
  }

  /** Adds a set or a counter written whole; commits what is collected first if it would not fit. */
  async add(mutation: KvSet | KvSum): Promise<void> {
    await this.#room(commitCost([mutation]));
    if ("sum" in mutation) this.#counters.push(mutation);
    else this.#sets.push(mutation);
  }

  /** Moves `from` to `to.key`: sets the one, deletes the other, in the same commit. */
  async move(from: Deno.KvKey, to: KvSet): Promise<void> {
    const k = keyBytes(from);
    const del: KvDelete = { delete: from, bytes: 2 * k, keyBytes: k };
    await this.#room(addCost(commitCost([to]), commitCost([del])));
    this.#sets.push(to);
    this.#deletes.push(del);
  }

  /** Commits what is collected, with `progress` when given. */
  async flush(progress?: unknown): Promise<void> {
    if (this.pending > 0 || progress !== undefined) {
      const result = await this.#call("migrate", (kv) => {
        const op = kv.atomic();
        for (const s of this.#sets) op.set(s.key, s.value);
        // Whole values, not sums: a rerun writes the same counters again.
        for (const c of this.#counters) op.set(c.key, new Deno.KvU64(c.sum));
        for (const d of this.#deletes) op.delete(d.delete);
        if (progress !== undefined) op.set(this.#keys.migration(), progress);
        return op.commit();
      });
      if (!result.ok) throw new Error("Cannot migrate store: a commit without checks failed");
    }
    this.#sets = [];
    this.#counters = [];
    this.#deletes = [];
    this.#used = { mutations: 0, bytes: 0, keyBytes: 0 };
  }

  async #room(cost: CommitCost): Promise<void> {
    if (!fitsBeside(this.#used, cost, this.#limits)) await this.flush();
    this.#used = addCost(this.#used, cost);
  }
}
