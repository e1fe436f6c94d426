/**
 * A mixed knowledge log for the exactly-once tests: assertions, votes (some
 * appended twice), epochs and poison records of every kind.
 *
 * @module
 */
import { contentHash, serializeVote } from "../../src/records/mod.ts";
import type { Tally } from "../../src/store/mod.ts";
import { referenceTallies, type RefVote } from "../support/consensus_reference.ts";
import type { Journal } from "../../src/wal/mod.ts";
import { assertionPayload, epochPayload, poisonPayloads } from "./_helpers.ts";

/** What `writeMixedLog` appended. */
export interface MixedLog {
  /** Records appended. */
  records: number;
  /** Poison records among them. */
  poison: number;
  /** Hashes of the assertions voted on, with their tallies by the reference rules. */
  tallies: Map<string, Tally>;
}

/** Append `n` records of every type to `journal`, in batches of `batch`. */
export async function writeMixedLog(journal: Journal, n: number, batch = 200): Promise<MixedLog> {
  const poisons = Object.values(poisonPayloads());
  const hashes: string[] = [];
  const votes: RefVote[] = [];
  let previous: Uint8Array | null = null;
  const log: MixedLog = { records: 0, poison: 0, tallies: new Map() };
  let pending: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    let payload: Uint8Array;
    if (i % 97 === 13) {
      payload = poisons[log.poison % poisons.length];
      log.poison++;
    } else if (i % 11 === 5 && hashes.length > 0) {
      if (previous !== null && i % 4 === 0) {
        // The same vote appended again: counted once.
        payload = previous;
      } else {
        // Few targets and voters, so voters change their votes; timestamps run back and
        // forth (some before 1970) so the latest vote is often not the last appended.
        const vote = {
          assertion: hashes[(i * 7) % Math.min(hashes.length, 9)],
          voter: `voter-${i % 5}`,
          value: ((i % 5) - 2) / 2,
          timestamp: ((i * 7919) % 200) - 50,
        };
        payload = serializeVote(vote);
        votes.push({ ...vote, hash: await contentHash(payload) });
      }
      previous = payload;
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
  log.tallies = referenceTallies(votes);
  return log;
}
