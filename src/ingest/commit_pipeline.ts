/**
 * One commit in flight while the next is built: the ingestor's pipelining
 * over the store's commit builder. The next commit is sent only after the one
 * before it succeeded, because it must name that commit's versionstamp.
 *
 * A commit whose outcome is unknown (it failed with a network error, a cut
 * answer or past its deadline; or it failed its check, which is what Deno's
 * client reports when it resent a commit whose first answer was lost) is
 * settled by re-reading the cursor: if the cursor now stands at the commit's
 * end, it landed; if the cursor is unchanged, it did not (yet), and is sent
 * again with the same check, so an abandoned attempt that lands later fails
 * its check instead of applying twice; if the cursor moved elsewhere,
 * another ingestor moved it: a conflict.
 *
 * @module
 */
import {
  backoffDelay,
  type CommitBuilder,
  kvFailureKind,
  type PlannedCommit,
  sleep,
} from "../store/mod.ts";
import { RETRY_LIMIT_MS, retrying } from "./retry.ts";
import { telemetry } from "../telemetry/mod.ts";
import { commitObserved } from "./telemetry.ts";

/** A committed cursor: where the next record starts and the cursor key's versionstamp. */
export interface Cursor {
  /** Offset of the next record to apply. */
  offset: number;
  /** Versionstamp of the cursor key, `null` while it does not exist. */
  versionstamp: string | null;
  /** Id of the commit that wrote it, when it named itself. */
  commit?: string;
}

/** Options of `new CommitPipeline()`. */
export interface CommitPipelineOptions {
  /** The confirmed cursor the first commit is checked against. */
  cursor: Cursor;
  /** Durable bytes behind a commit ending at `end`, recorded with its cursor. */
  lagBytes: (end: number) => number;
  /** Called once for each commit confirmed, in order. */
  onCommitted: (planned: PlannedCommit) => void;
  /** Re-read the committed cursor, to settle a commit whose outcome is unknown. */
  readCursor: () => Promise<Cursor>;
  /**
   * Once aborted, a commit of unknown outcome is not retried: its error is
   * passed on at once.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** A commit's known outcome: landed (with its versionstamp) or refused by its check. */
type Committed = { ok: true; versionstamp: string } | { ok: false };
type Settled = Committed | { error: unknown };

/** Sends the commits a builder hands out, one at a time, and tracks the confirmed cursor. */
export class CommitPipeline {
  #builder: CommitBuilder;
  #lagBytes: (end: number) => number;
  #onCommitted: (planned: PlannedCommit) => void;
  #readCursor: () => Promise<Cursor>;
  #signal: AbortSignal | undefined;
  #cursor: Cursor;
  #inflight: { planned: PlannedCommit; result: Promise<Settled> } | null = null;

  /** A pipeline sending what `builder` hands out, from the confirmed `options.cursor`. */
  constructor(builder: CommitBuilder, options: CommitPipelineOptions) {
    this.#builder = builder;
    this.#cursor = options.cursor;
    this.#lagBytes = options.lagBytes;
    this.#onCommitted = options.onCommitted;
    this.#readCursor = options.readCursor;
    this.#signal = options.signal;
  }

  /** The last confirmed cursor. */
  get cursor(): Cursor {
    return this.#cursor;
  }

  /**
   * Wait for the commit in flight, then send `planned` (if any) over its
   * cursor; returns once what `planned` resolves against has been read
   * (`CommitBuilder.whenRead`). `false`: the commit in flight failed its
   * versionstamp check.
   */
  async send(planned: PlannedCommit | null): Promise<boolean> {
    if (!(await this.settle())) return false;
    if (planned === null) return true;
    const expect = this.#cursor.versionstamp;
    const read = this.#builder.whenRead(planned);
    const result = commitObserved(planned, () => this.#commit(planned, expect)).catch(
      (error): Settled => ({ error }),
    );
    this.#inflight = { planned, result };
    // Build the next commit only once this one's reads are in: building runs for many
    // milliseconds without yielding, and their answers would wait behind it, and the
    // commit with them.
    await read;
    return true;
  }

  /** Wait for the commit in flight; `false` if it failed its versionstamp check. */
  async settle(): Promise<boolean> {
    const inflight = this.#inflight;
    if (inflight === null) return true;
    this.#inflight = null;
    const r = await inflight.result;
    if ("error" in r) throw r.error;
    if (!r.ok) return false;
    this.#cursor = { offset: inflight.planned.end, versionstamp: r.versionstamp };
    this.#onCommitted(inflight.planned);
    return true;
  }

  /** Whether a commit is in flight (sent, its outcome not yet taken by `settle()`). */
  get inFlight(): boolean {
    return this.#inflight !== null;
  }

  /**
   * Resolves once the commit in flight (if any) has an outcome, without
   * taking it (`settle()` still does); never rejects. Awaited after a
   * failure too, so nothing runs on behind it.
   */
  async outcome(): Promise<void> {
    await this.#inflight?.result;
  }

  /** Commit `planned` over `expect` until its outcome is known; see the module doc. */
  async #commit(planned: PlannedCommit, expect: string | null): Promise<Committed> {
    // Names the commit in the cursor: the only way to tell, after a lost
    // answer, our commit from another ingestor's commit of the same range.
    const commit = crypto.randomUUID();
    const options = { expect, lagBytes: this.#lagBytes(planned.end), commit };
    const start = performance.now();
    for (let attempt = 0;; attempt++) {
      let failure: { error: unknown } | null = null;
      try {
        const r = await retrying(() => this.#builder.commit(planned, options), { call: "commit" });
        if (r.ok) return { ok: true, versionstamp: r.versionstamp! };
      } catch (error) {
        // Refused before anything was sent: the batch itself is wrong.
        const refused = error instanceof RangeError || error instanceof TypeError;
        if (refused && kvFailureKind(error) === "fatal") throw error;
        if (this.#signal?.aborted) throw error;
        failure = { error };
      }
      const now = await this.#readCursor();
      if (now.commit === commit) return { ok: true, versionstamp: now.versionstamp! };
      if (failure === null || now.versionstamp !== expect) return { ok: false };
      if (performance.now() - start > RETRY_LIMIT_MS) throw failure.error;
      telemetry.retries.add(1, { call: "commit" });
      await sleep(backoffDelay(attempt), this.#signal);
      if (this.#signal?.aborted) throw failure.error;
    }
  }
}
