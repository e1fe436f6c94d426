/**
 * The segment files a journal knows, oldest first: the ones readers walk, the
 * listing `segments()` returns, and the cleanup of consumed ones.
 *
 * @module
 */
import { JournalIOError } from "./errors.ts";
import type { FileLayer } from "./file_layer.ts";
import type { SegmentInfo } from "./options.ts";
import { segmentName } from "./segment_name.ts";

/**
 * A journal's segment bases. The array is the writer's own: a rotation grows
 * it in place. A reader's `refresh()` replaces it with a new listing.
 */
export class SegmentList {
  #bases: number[];
  #misplaced: Set<number>;
  #placed: { from: number[]; length: number; bases: number[] } | null = null;

  constructor(bases: number[], misplaced: Set<number>) {
    this.#bases = bases;
    this.#misplaced = misplaced;
  }

  /** Every base, set-aside ones included. */
  get bases(): readonly number[] {
    return this.#bases;
  }

  /** A reader's new listing and the segments a skip-corrupt reader sets aside in it. */
  replace(bases: number[], misplaced: Set<number>): void {
    this.#bases = bases;
    this.#misplaced = misplaced;
  }

  /** The segments readers walk: all of them, less those a skip-corrupt journal set aside. */
  readable(): readonly number[] {
    if (this.#misplaced.size === 0) return this.#bases;
    const from = this.#bases;
    // replaced on refresh, grown in place by a rotation
    if (this.#placed?.from !== from || this.#placed.length !== from.length) {
      const bases = from.filter((b) => !this.#misplaced.has(b));
      this.#placed = { from, length: from.length, bases };
    }
    return this.#placed.bases;
  }

  /**
   * Delete the sealed segments lying wholly below `offset` (never the last
   * one), then fsync the directory; returns how many were deleted.
   */
  async removeBelow(offset: number, to: { dir: string; fs: FileLayer }): Promise<number> {
    const bases = this.#bases;
    let n = 0;
    while (n < bases.length - 1 && bases[n + 1] <= offset) n++;
    if (n === 0) return 0;
    const removed = bases.splice(0, n);
    try {
      for (const base of removed) await to.fs.remove(`${to.dir}/${segmentName(base)}`);
      await to.fs.syncDir(to.dir);
    } catch (e) {
      throw new JournalIOError(to.dir, "remove segments", e);
    }
    return n;
  }

  /** The segment files of `dir`, the last one ending at `last`. */
  infos(dir: string, last: number): SegmentInfo[] {
    const bases = this.#bases;
    return bases.map((base, i) => ({
      base,
      end: i + 1 < bases.length ? bases[i + 1] : Math.max(base, last),
      path: `${dir}/${segmentName(base)}`,
      sealed: i + 1 < bases.length,
    }));
  }
}
