/**
 * In-process listeners of a journal's durable end (`Journal.onDurable()`):
 * the writer's, told after each sync, and a reader's, told when `refresh()`
 * sees the end move.
 *
 * @module
 */

/** A set of durable-end listeners; one that throws is reported, never allowed to break the journal. */
export class DurableListeners {
  #listeners = new Set<(durableEnd: number) => void>();

  /** Adds `listener`; returns the function that removes it. */
  add(listener: (durableEnd: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls every listener with the new durable end `end`. */
  notify(end: number): void {
    for (const listener of this.#listeners) {
      try {
        listener(end);
      } catch (e) {
        reportError(e);
      }
    }
  }
}
