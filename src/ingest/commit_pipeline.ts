/**
 * One commit in flight while the next is built: the ingestor's pipelining
 * over the store's commit builder. The next commit is sent only after the one
 * before it succeeded, because it must name that commit's versionstamp.
 *
 * @module
 */
import type { CommitBuilder, PlannedCommit } from "../store/mod.ts";
import { retrying } from "./retry.ts";
import { commitObserved } from "./telemetry.ts";

/** A committed cursor: where the next record starts and the cursor key's versionstamp. */
export interface Cursor {
  /** Offset of the next record to apply. */
  offset: number;
  /** Versionstamp of the cursor key, `null` while it does not exist. */
  versionstamp: string | null;
}

/** Options of `new CommitPipeline()`. */
export interface CommitPipelineOptions {
  /** The confirmed cursor the first commit is checked against. */
  cursor: Cursor;
  /** Durable bytes behind a commit ending at `end`, recorded with its cursor. */
  lagBytes: (end: number) => number;
  /** Called once for each commit confirmed, in order. */
  onCommitted: (planned: PlannedCommit) => void;
}

type Settled = { ok: true; versionstamp: string } | { ok: false } | { error: unknown };

/** Sends the commits a builder hands out, one at a time, and tracks the confirmed cursor. */
export class CommitPipeline {
  #builder: CommitBuilder;
  #lagBytes: (end: number) => number;
  #onCommitted: (planned: PlannedCommit) => void;
  #cursor: Cursor;
  #inflight: { planned: PlannedCommit; result: Promise<Settled> } | null = null;

  /** A pipeline sending what `builder` hands out, from the confirmed `options.cursor`. */
  constructor(builder: CommitBuilder, options: CommitPipelineOptions) {
    this.#builder = builder;
    this.#cursor = options.cursor;
    this.#lagBytes = options.lagBytes;
    this.#onCommitted = options.onCommitted;
  }

  /** The last confirmed cursor. */
  get cursor(): Cursor {
    return this.#cursor;
  }

  /**
   * Wait for the commit in flight, then send `planned` (if any) over its
   * cursor. `false`: the commit in flight failed its versionstamp check.
   */
  async send(planned: PlannedCommit | null): Promise<boolean> {
    if (!(await this.settle())) return false;
    if (planned === null) return true;
    const options = { expect: this.#cursor.versionstamp, lagBytes: this.#lagBytes(planned.end) };
    const result = commitObserved(
      planned,
      () => retrying(() => this.#builder.commit(planned, options), undefined, "commit"),
    ).then(
      (r): Settled => r.ok ? { ok: true, versionstamp: r.versionstamp! } : { ok: false },
      (error): Settled => ({ error }),
    );
    this.#inflight = { planned, result };
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

  /** Wait for any commit still in flight, whatever its outcome, so nothing runs on after a failure. */
  async drain(): Promise<void> {
    await this.#inflight?.result;
  }
}
