/**
 * Packing records into atomic commits that fit Deno KV's limits. A record's
 * sets always travel together (its `H` and `S` keys land in one commit); a
 * record whose sets cannot fit even an empty commit becomes a dead letter.
 *
 * @module
 */
import { type CommitCost, fitsBeside } from "./commit.ts";
import type { DeadLetter, KvSet, PlannedCommit } from "./types.ts";
import type { Resolvable } from "./consensus_types.ts";

/** Limits one packed batch must stay within. */
export interface PackLimits extends CommitCost {
  /** Records per commit (applied plus dead-lettered). */
  records: number;
}

/**
 * Share of the byte budgets held back in every commit, against any
 * difference between the store's size estimate and Deno KV's own count.
 */
export const SAFETY_MARGIN = 0.02;

/**
 * Limits for packed sets and dead letters, from what the store leaves of
 * Deno KV's commit limits once the cursor check, the cursor set and the
 * consumer set are counted (`KvStore.batchBudget()`), less the safety margin.
 * `records` caps the records (applied plus dead-lettered) per commit.
 */
export function packLimits(budget: CommitCost, records = Infinity): PackLimits {
  return {
    mutations: budget.mutations,
    bytes: Math.floor(budget.bytes * (1 - SAFETY_MARGIN)),
    keyBytes: Math.floor(budget.keyBytes * (1 - SAFETY_MARGIN)),
    records,
  };
}

/** An empty commit's cost. */
const NO_COST: CommitCost = Object.freeze({ mutations: 0, bytes: 0, keyBytes: 0 });

/**
 * Accumulates records into one batch while it fits; the caller commits the
 * batch with `take()` when `tryAdd…()` says the next record does not fit.
 */
export class BatchPacker {
  #limits: PackLimits;
  #sets: KvSet[] = [];
  #resolves: Resolvable[] = [];
  /** Assertions whose tally the batch may change: their counters are charged once. */
  #tallies = new Set<string>();
  #deadLetters: DeadLetter[] = [];
  #applied = 0;
  #end = -1;
  #used: CommitCost = { mutations: 0, bytes: 0, keyBytes: 0 };

  /** A packer for batches within `limits`. */
  constructor(limits: PackLimits) {
    this.#limits = limits;
  }

  /** Records packed so far. */
  get records(): number {
    return this.#applied + this.#deadLetters.length;
  }

  /** Whether a cost fits an empty batch at all. */
  fitsAlone(cost: CommitCost): boolean {
    return fitsBeside(NO_COST, cost, this.#limits);
  }

  /** Whether the batch already pays for the tally counters of `assertion`. */
  hasTally(assertion: string): boolean {
    return this.#tallies.has(assertion);
  }

  /**
   * Add a record's sets, and what it resolves at commit time, unless they do
   * not fit beside what is packed; `next` is its end offset.
   */
  tryAddSets(
    sets: readonly KvSet[],
    cost: CommitCost,
    next: number,
    resolve?: Resolvable,
  ): boolean {
    if (!this.#fits(cost)) return false;
    for (const s of sets) this.#sets.push(s);
    if (resolve !== undefined) {
      this.#resolves.push(resolve);
      if (resolve.kind === "vote") this.#tallies.add(resolve.assertion);
    }
    this.#applied++;
    this.#charge(cost, next);
    return true;
  }

  /**
   * Add a dead letter unless it does not fit beside what is packed; `cost` is
   * that of the set the store writes for it, `next` its record's end offset.
   */
  tryAddDeadLetter(letter: DeadLetter, cost: CommitCost, next: number): boolean {
    if (!this.#fits(cost)) return false;
    this.#deadLetters.push(letter);
    this.#charge(cost, next);
    return true;
  }

  /** The batch packed so far (`null` when empty); the packer starts over empty. */
  take(): PlannedCommit | null {
    if (this.records === 0) return null;
    const batch = {
      sets: this.#sets,
      resolves: this.#resolves,
      deadLetters: this.#deadLetters,
      applied: this.#applied,
      deadLettered: this.#deadLetters.length,
      end: this.#end,
    };
    this.#sets = [];
    this.#resolves = [];
    this.#tallies = new Set();
    this.#deadLetters = [];
    this.#applied = 0;
    this.#end = -1;
    this.#used = { mutations: 0, bytes: 0, keyBytes: 0 };
    return batch;
  }

  #fits(cost: CommitCost): boolean {
    return this.records < this.#limits.records && fitsBeside(this.#used, cost, this.#limits);
  }

  #charge(cost: CommitCost, next: number): void {
    this.#used.mutations += cost.mutations;
    this.#used.bytes += cost.bytes;
    this.#used.keyBytes += cost.keyBytes;
    this.#end = next;
  }
}
