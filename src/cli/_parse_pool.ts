/**
 * Parses `append`'s lines on worker threads while the main thread checks
 * references, holds payloads and appends: batches of lines go to the workers
 * in turn, and their outcomes come back in input order. Parsing (JSON,
 * validation, canonical encoding) is most of a line's cost, so on two cores
 * the main thread's share of a line drops to reading it and taking its
 * outcome.
 *
 * It never hangs and never changes an outcome: every batch sent has a
 * deadline, and a worker that fails, exits or misses one ends the pool's
 * threads; that batch and every later one are then parsed on the calling
 * thread by the same function (`parseTexts`) the workers run.
 *
 * @module
 */

import { Worker } from "node:worker_threads";
import type { Line } from "./_lines.ts";
import { type LineOutcome, type PackedTexts, parseTexts, unpackTexts } from "./_parse_texts.ts";

/** Longest a batch may wait for its worker before the pool parses on the calling thread. */
export const BATCH_DEADLINE_MS = 30_000;

/** Lines per batch sent to a worker: enough to amortize a message, small enough to keep order cheap. */
const BATCH_LINES = 1024;
/** Text characters per batch, so a batch of long lines stays small. */
const BATCH_CHARS = 1024 * 1024;

/** A batch sent to a worker and not answered yet. */
interface Pending {
  texts: string[];
  resolve: (outcomes: LineOutcome[]) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Options of {@linkcode ParsePool}. */
export interface ParsePoolOptions {
  /**
   * Worker threads; 0 parses on the calling thread.
   * @default {defaultWorkers()}
   */
  workers?: number;
  /**
   * Longest a batch may wait for its worker, in milliseconds.
   * @default {BATCH_DEADLINE_MS}
   */
  deadlineMs?: number;
  /** Module the workers run (tests give one that fails). @default {"./_parse_worker.ts"} */
  workerUrl?: URL;
}

/**
 * Workers for a machine with `cores` cores and a one-minute load average of
 * `load`: one per core left idle by the load, at most 3, none when no core is
 * idle. A worker only pays where it runs beside the main thread: on a
 * saturated machine it costs about 6 µs of CPU a line (the records cloned
 * across, the payloads copied once more) and saves nothing (measured on a
 * 2-core VM at load 14: 3.3 s of CPU for 100,000 lines against 2.6 s, and
 * more wall time).
 */
export function defaultWorkers(
  cores: number = navigator.hardwareConcurrency ?? 1,
  load: number = loadAverage(),
): number {
  const idle = Math.floor(cores - load);
  return Math.min(3, Math.max(0, Math.min(cores - 1, idle)));
}

/**
 * The one-minute load average where `--allow-sys` grants it (the `append`
 * task gives `--allow-sys=loadavg`), else `Infinity`: unknown, so no worker
 * is started (Deno reads `/proc/loadavg` only with `--allow-all`).
 */
function loadAverage(): number {
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "loadavg" }).state === "granted") {
      return Deno.loadavg()[0];
    }
  } catch {
    // No such query on this runtime: unknown.
  }
  return Infinity;
}

/** Worker threads parsing batches of lines, with a fallback on the calling thread. */
export class ParsePool implements Disposable {
  #workers: Worker[] = [];
  #pending = new Map<number, Pending>();
  #nextId = 0;
  #turn = 0;
  #deadlineMs: number;
  /** Set once a worker failed or missed a deadline: every batch is parsed here from then on. */
  #fallback: string | null = null;

  /** Start the workers (none on a single core). */
  constructor(options: ParsePoolOptions = {}) {
    this.#deadlineMs = options.deadlineMs ?? BATCH_DEADLINE_MS;
    const count = options.workers ?? defaultWorkers();
    const url = options.workerUrl ?? new URL("./_parse_worker.ts", import.meta.url);
    try {
      for (let i = 0; i < count; i++) this.#workers.push(this.#start(url));
    } catch (error) {
      this.#fail(`Cannot start a parse worker: ${(error as Error).message}`);
    }
  }

  /** Why the pool parses on the calling thread (a worker failed), or null while workers parse. */
  get fallback(): string | null {
    return this.#fallback;
  }

  /** Worker threads running. */
  get workers(): number {
    return this.#workers.length;
  }

  /** The outcome of each of `texts`, in order. Never rejects for a worker's failure. */
  parse(texts: string[]): Promise<LineOutcome[]> {
    if (this.#workers.length === 0) return Promise.resolve(parseTexts(texts));
    const id = this.#nextId++;
    const worker = this.#workers[this.#turn++ % this.#workers.length];
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => this.#fail(`A parse worker did not answer within ${this.#deadlineMs} ms`),
        this.#deadlineMs,
      );
      this.#pending.set(id, { texts, resolve, timer });
      worker.postMessage({ id, texts });
    });
  }

  /** Stop the workers; batches still in flight are parsed on the calling thread. */
  close(): void {
    const workers = this.#workers;
    this.#workers = [];
    for (const worker of workers) void worker.terminate();
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(pending.timer);
      pending.resolve(parseTexts(pending.texts));
    }
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  #start(url: URL): Worker {
    const worker = new Worker(url);
    // Idle workers must not keep the process alive; a batch in flight does (its deadline timer).
    worker.unref();
    worker.on("message", (reply: { id: number; packed: PackedTexts }) => {
      const pending = this.#pending.get(reply.id);
      if (pending === undefined) return;
      this.#pending.delete(reply.id);
      clearTimeout(pending.timer);
      pending.resolve(unpackTexts(reply.packed));
    });
    worker.on("error", (error: Error) => this.#fail(`A parse worker failed: ${error.message}`));
    worker.on("exit", () => {
      if (this.#workers.includes(worker)) this.#fail("A parse worker exited");
    });
    return worker;
  }

  #fail(why: string): void {
    this.#fallback ??= why;
    this.close();
  }
}

/** A line with the outcome of its parse (`null` for a line that could not be read or is blank). */
export interface ParsedInputLine {
  /** The line as read. */
  line: Line;
  /** Its outcome: a record and payload, a reject, or null (blank, or a `BadLine`). */
  outcome: LineOutcome;
}

/** Options of {@linkcode parseInput}. */
export interface ParseInputOptions {
  /** The pool that parses. */
  pool: ParsePool;
  /** Lines before this one are skipped unparsed. @default {1} */
  fromLine?: number;
  /**
   * Batches in flight at once (parsed ahead of the caller).
   * @default {2 per worker, at least 1}
   */
  ahead?: number;
}

/**
 * The lines of `batches` (as `readLineBatches` yields them) from `fromLine`
 * on, with their outcomes, in input order and in batches: up to `ahead`
 * batches are parsed while the caller works on the one it holds. Nothing
 * waits for more input: a batch is sent as soon as its chunk is read, and a
 * parsed batch is yielded as soon as it is back, even while the source is
 * paused (a stdin that stops sending).
 */
export async function* parseInput(
  batches: AsyncIterable<Line[]>,
  options: ParseInputOptions,
): AsyncGenerator<ParsedInputLine[]> {
  const { pool } = options;
  const fromLine = options.fromLine ?? 1;
  const ahead = options.ahead ?? Math.max(1, 8 * pool.workers);
  const queue: Promise<ParsedInputLine[]>[] = [];
  const send = (lines: Line[]) => {
    const texts: string[] = [];
    for (const line of lines) if ("text" in line) texts.push(line.text);
    queue.push(pool.parse(texts).then((outcomes) => merge(lines, outcomes)));
  };
  const source = batches[Symbol.asyncIterator]();
  let next: Promise<IteratorResult<Line[]>> | null = null;
  try {
    while (true) {
      next ??= source.next();
      if (queue.length > 0) {
        // Whichever comes first: more input, or the oldest batch parsed.
        const head = queue[0];
        const first = await Promise.race([next.then(() => false), head.then(() => true)]);
        if (first) {
          queue.shift();
          yield await head;
          continue;
        }
      }
      const read = await next;
      next = null;
      if (read.done) break;
      let piece: Line[] = [];
      let chars = 0;
      for (const line of read.value) {
        if (line.number < fromLine) continue;
        piece.push(line);
        if ("text" in line) chars += line.text.length;
        if (piece.length >= BATCH_LINES || chars >= BATCH_CHARS) {
          send(piece);
          piece = [];
          chars = 0;
        }
      }
      if (piece.length > 0) send(piece);
      while (queue.length >= ahead) yield await queue.shift()!;
    }
    while (queue.length > 0) yield await queue.shift()!;
  } finally {
    // Not awaited: a read may be in flight (a paused stdin), and the source
    // closes once it settles; a caller that stops early must not wait for it.
    source.return?.().catch(() => {});
  }
}

/** `lines` with the outcomes of their texts (a `BadLine` has none). */
function merge(lines: Line[], outcomes: LineOutcome[]): ParsedInputLine[] {
  let k = 0;
  return lines.map((line) => ({ line, outcome: "text" in line ? outcomes[k++] : null }));
}
