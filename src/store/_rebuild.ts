/**
 * The step of a migration from layout 1 that builds, from the stored records
 * alone, what layout 1 did not keep: each assertion's index entries
 * (`indexSets`), each vote's voter-history entry, each voter's winner and
 * each assertion's tally counters (as whole values, never sums). Every key
 * it writes is a function of the records, so a rerun writes the same keys;
 * its progress (the last assertion done) is committed as it goes.
 *
 * @module
 */

import { decodeRecord, fromHex, type KnowledgeRecord } from "../records/mod.ts";
import { indexSets } from "./index_sets.ts";
import { hashOfPart, type KeyLayout } from "./keys.ts";
import { kvSet } from "./kv_set.ts";
import { MAX_LIST_BATCH } from "./limits.ts";
import type { MigrationCall, MigrationWriter } from "./_migration_writer.ts";
import { compareVersions } from "./precedence.ts";
import { TallyDeltas } from "./tally.ts";
import type { WinnerValue } from "./consensus_types.ts";

/** Where a rebuild stands: its step, and the last assertion that step finished. */
export interface RebuildProgress {
  /** `assertions`: index entries from `H`; `votes`: history, winners and tallies from `V`. */
  step: "assertions" | "votes";
  /** Last assertion hash finished in this step (`null`: none yet). */
  after: string | null;
  /** Assertions whose votes' winners and tallies are built so far. */
  assertions: number;
  /** Votes read so far. */
  votes: number;
}

/** Assertions indexed between two commits of progress. */
const ASSERTIONS_PER_PROGRESS = 500;

/** Each voter's winning vote among an assertion's stored votes. */
class Winners {
  readonly assertion: string;
  #byVoter = new Map<string, WinnerValue>();

  constructor(assertion: string) {
    this.assertion = assertion;
  }

  add(voter: string, vote: WinnerValue): void {
    const held = this.#byVoter.get(voter);
    const beats = held === undefined ||
      compareVersions({ time: vote.t, hash: vote.h }, { time: held.t, hash: held.h }) > 0;
    if (beats) this.#byVoter.set(voter, vote);
  }

  async write(writer: MigrationWriter, keys: KeyLayout): Promise<void> {
    const tally = new TallyDeltas();
    for (const [voter, winner] of this.#byVoter) {
      await writer.add(kvSet(keys.winner(this.assertion, voter), winner));
      tally.add(this.assertion, winner.v, 1);
    }
    for (const counter of tally.totals(keys)) await writer.add(counter);
  }
}

/** Lists `prefix` from where `after` left it (its own keys listed again, for the caller to skip). */
function listFrom(kv: Deno.Kv, prefix: Deno.KvKey, after: string | null) {
  const selector = after === null ? { prefix } : { prefix, start: [...prefix, fromHex(after)] };
  return kv.list<Uint8Array>(selector, { batchSize: MAX_LIST_BATCH });
}

function decodeAs<T extends "assertion" | "vote">(
  type: T,
  key: Deno.KvKey,
  value: Uint8Array,
): Extract<KnowledgeRecord, { type: T }> {
  const record = decodeRecord(value);
  if (record.type !== type) {
    throw new TypeError(
      `Cannot migrate ${type} at ${JSON.stringify(key)}: the stored payload is a ${record.type}`,
    );
  }
  return record as Extract<KnowledgeRecord, { type: T }>;
}

/**
 * Builds the layout-1 store's indexes, winners and tallies, from `progress`
 * on; `commit(progress)` commits what is collected with the progress.
 */
export async function rebuild(
  kv: Deno.Kv,
  at: { keys: KeyLayout; writer: MigrationWriter; call: MigrationCall; signal?: AbortSignal },
  progress: RebuildProgress,
  commit: (progress: RebuildProgress) => Promise<void>,
): Promise<void> {
  const { keys, writer, call } = at;
  const depth = keys.prefix.length;
  if (progress.step === "assertions") {
    const entries = listFrom(kv, keys.assertions(), progress.after);
    let since = 0;
    while (true) {
      const step = await call("listAssertions", () => entries.next());
      if (step.done) break;
      const { key, value } = step.value;
      const hash = hashOfPart(key[depth + 1]);
      if (hash === progress.after) continue;
      const record = decodeAs("assertion", key, value);
      for (const set of indexSets(keys, { record, hash })) await writer.add(set);
      progress.after = hash;
      if (++since === ASSERTIONS_PER_PROGRESS) {
        since = 0;
        await commit(progress);
        at.signal?.throwIfAborted();
      }
    }
    Object.assign(progress, { step: "votes", after: null });
    await commit(progress);
  }
  const entries = listFrom(kv, keys.allVotes(), progress.after);
  let current = null as Winners | null;
  const finish = async (winners: Winners) => {
    await winners.write(writer, keys);
    progress.after = winners.assertion;
    progress.assertions++;
    await commit(progress);
  };
  while (true) {
    const step = await call("listVotes", () => entries.next());
    if (step.done) break;
    const { key, value } = step.value;
    const assertion = hashOfPart(key[depth + 1]);
    if (assertion === progress.after) continue;
    if (current?.assertion !== assertion) {
      if (current !== null) await finish(current);
      at.signal?.throwIfAborted();
      current = new Winners(assertion);
    }
    const hash = hashOfPart(key[depth + 2]);
    const record = decodeAs("vote", key, value);
    for (const set of indexSets(keys, { record, hash })) await writer.add(set);
    const { voter, value: v, timestamp } = record.value;
    current.add(voter, { t: timestamp, h: hash, v });
    progress.votes++;
  }
  if (current !== null) await finish(current);
}
