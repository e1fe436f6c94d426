/**
 * The one rule that decides between two versions of the same thing — a
 * voter's votes on an assertion, or two epochs with one id: the later time
 * wins, and equal times go to the greater content hash. Every replica orders
 * any two versions alike, so the winner does not depend on arrival order.
 *
 * @module
 */

/**
 * What the rule compares: a time (a vote's `timestamp`, an epoch's
 * `startTime`) and the content hash of the record.
 *
 * @example Describe a vote as a version
 * ```ts
 * import type { Version } from "@stemedb/ingest/store";
 *
 * const version: Version = { time: 1_700_000_000_000, hash: "ab".repeat(32) };
 * console.log(version.time);
 * ```
 */
export interface Version {
  /** Milliseconds since the Unix epoch (negative before 1970). */
  time: number;
  /** Content hash, 64 lowercase hex characters. */
  hash: string;
}

/**
 * Orders two versions: negative if `a` loses to `b`, positive if it beats
 * it, 0 if they are the same record. Later time first, then greater hash
 * (lowercase hex of one length compares as the number it spells).
 *
 * @example The later vote wins; a tie goes to the greater hash
 * ```ts
 * import { compareVersions } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const early = { time: 1, hash: "ff".repeat(32) };
 * const late = { time: 2, hash: "00".repeat(32) };
 * assert.ok(compareVersions(late, early) > 0);
 * assert.ok(compareVersions({ time: 2, hash: "01".repeat(32) }, late) > 0);
 * assert.equal(compareVersions(late, { ...late }), 0);
 * ```
 */
export function compareVersions(a: Version, b: Version): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  return a.hash === b.hash ? 0 : a.hash < b.hash ? -1 : 1;
}
