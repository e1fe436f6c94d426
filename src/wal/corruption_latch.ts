/**
 * The stickiness of corruption on an open journal: once a read has met a
 * `CorruptJournalError`, every later read of that `Journal` throws the same
 * error until it is reopened (docs/FORMAT.md §1.7), except in skip-corrupt,
 * whose readers skip damage.
 *
 * @module
 */
import { CorruptJournalError } from "./errors.ts";

/** Holds the first corruption a journal's reads met, and throws it at every later read. */
export class CorruptionLatch {
  #error: CorruptJournalError | null = null;
  readonly #skips: boolean;

  /** `skips`: the journal was opened in skip-corrupt, so corruption never latches. */
  constructor(skips: boolean) {
    this.#skips = skips;
  }

  /** Throws the corruption an earlier read met, if any. */
  check(): void {
    if (this.#error !== null) throw this.#error;
  }

  /** Remembers `e` if it is corruption; returns it to rethrow. */
  note(e: unknown): unknown {
    if (e instanceof CorruptJournalError && !this.#skips) this.#error ??= e;
    return e;
  }

  /** `records`, checked before the first and latching what they throw. */
  async *guard<T>(records: AsyncIterableIterator<T>): AsyncIterableIterator<T> {
    try {
      this.check();
      yield* records;
    } catch (e) {
      throw this.note(e);
    }
  }
}
