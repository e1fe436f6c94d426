/**
 * A mixed knowledge log for the exactly-once tests: assertions, votes (some
 * appended twice), epochs and poison records of every kind.
 *
 * @module
 */
import { contentHash } from "../../src/records/mod.ts";
import type { Journal } from "../../src/wal/mod.ts";
import { assertionPayload, epochPayload, poisonPayloads, votePayload } from "./_helpers.ts";

/** What `writeMixedLog` appended. */
export interface MixedLog {
  /** Records appended. */
  records: number;
  /** Poison records among them. */
  poison: number;
  /** Hashes of the assertions voted on, with their exact tallies (distinct votes). */
  tallies: Map<string, { count: number; sum: number }>;
}

/** Append `n` records of every type to `journal`, in batches of `batch`. */
export async function writeMixedLog(journal: Journal, n: number, batch = 200): Promise<MixedLog> {
  const poisons = Object.values(poisonPayloads());
  const hashes: string[] = [];
  const votes = new Map<string, Map<string, number>>();
  const log: MixedLog = { records: 0, poison: 0, tallies: new Map() };
  let pending: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    let payload: Uint8Array;
    if (i % 97 === 13) {
      payload = poisons[log.poison % poisons.length];
      log.poison++;
    } else if (i % 11 === 5 && hashes.length > 0) {
      const target = hashes[i % hashes.length];
      const voter = `voter-${i % 5}`;
      const value = ((i % 3) - 1) / 2;
      // A voter's vote is one payload; the same vote appended again is counted once.
      const byVoter = votes.get(target) ?? new Map();
      const previous = byVoter.get(voter);
      payload = votePayload(target, voter, previous ?? value);
      byVoter.set(voter, previous ?? value);
      votes.set(target, byVoter);
    } else if (i % 53 === 7) {
      payload = epochPayload((i & 0xffff).toString(16).padStart(4, "0"));
    } else {
      payload = assertionPayload(i);
      hashes.push(await contentHash(payload));
    }
    pending.push(payload);
    log.records++;
    if (pending.length === batch) {
      await journal.appendBatch(pending);
      pending = [];
    }
  }
  if (pending.length > 0) await journal.appendBatch(pending);
  for (const [target, byVoter] of votes) {
    let sum = 0;
    for (const v of byVoter.values()) sum += v;
    log.tallies.set(target, { count: byVoter.size, sum });
  }
  return log;
}
