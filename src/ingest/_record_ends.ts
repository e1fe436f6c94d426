/**
 * The end offsets of the records behind, ascending: the lag tracker's index.
 * A queue on one growable `Float64Array` (8 bytes a record), counted by binary
 * search and dropped from the front as the cursor moves.
 *
 * @module
 */

/** Ascending record ends, live from `#head` to `#tail`. */
export class RecordEnds {
  #ends = new Float64Array(1024);
  #head = 0;
  #tail = 0;

  /** How many ends are held. */
  get size(): number {
    return this.#tail - this.#head;
  }

  /** Appends `end`, which is above every end held. */
  push(end: number): void {
    if (this.#tail === this.#ends.length) {
      const live = this.#tail - this.#head;
      const ends = live * 2 > this.#ends.length
        ? new Float64Array(this.#ends.length * 2)
        : this.#ends;
      ends.set(this.#ends.subarray(this.#head, this.#tail));
      this.#ends = ends;
      this.#head = 0;
      this.#tail = live;
    }
    this.#ends[this.#tail++] = end;
  }

  /** How many ends held are at or below `offset`. */
  countTo(offset: number): number {
    return this.#upperBound(offset) - this.#head;
  }

  /** Drops the ends at or below `offset`. */
  dropTo(offset: number): void {
    this.#head = this.#upperBound(offset);
  }

  /** Drops every end. */
  clear(): void {
    this.#head = this.#tail = 0;
  }

  /** Index of the first end held greater than `offset`. */
  #upperBound(offset: number): number {
    let lo = this.#head;
    let hi = this.#tail;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ends[mid] <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
