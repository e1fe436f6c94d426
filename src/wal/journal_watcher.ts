/**
 * A low-latency hint for the background loop: `Deno.watchFs` on the journal
 * directory, reporting changes to the published durable end and to segments.
 *
 * @module
 */
import { HEAD_FILE, SEGMENT_EXTENSION } from "./format.ts";

/**
 * Watches a journal directory and calls `onChange` when the `durable` file or
 * a segment changes. A hint only: events can be coalesced or, on some file
 * systems, missing, so callers still poll.
 *
 * @example Wake a reader when another process appends
 * ```ts
 * import { Journal, JournalWatcher } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const writer = await Journal.open(dir);
 * const changed = Promise.withResolvers<void>();
 * const watcher = new JournalWatcher(dir, () => changed.resolve());
 * await writer.append(new Uint8Array([1]));
 * await changed.promise;
 * await watcher.close();
 * await writer.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class JournalWatcher {
  #watcher: Deno.FsWatcher;
  #done: Promise<void>;

  /** Start watching the journal directory `dir`; `onChange` is called on each relevant change. */
  constructor(dir: string, onChange: () => void) {
    this.#watcher = Deno.watchFs(dir, { recursive: false });
    this.#done = this.#pump(onChange);
  }

  async #pump(onChange: () => void): Promise<void> {
    try {
      for await (const event of this.#watcher) {
        if (event.paths.some(isJournalData)) onChange();
      }
    } catch {
      // The directory went away or the watcher broke: polling carries on without the hint.
    }
  }

  /** Stop watching; resolves once the watcher's resources are released. */
  async close(): Promise<void> {
    try {
      this.#watcher.close();
    } catch {
      // Already closed (the watch loop ended on its own).
    }
    await this.#done;
  }
}

function isJournalData(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return name === HEAD_FILE || name.endsWith(SEGMENT_EXTENSION);
}
