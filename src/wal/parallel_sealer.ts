/**
 * Seals large group commits on two cores. Hashing (BLAKE3 and CRC-32C in WASM,
 * about a microsecond per small record) dominates the cost of a large batch,
 * so the writer's thread and a worker claim records from a shared counter;
 * whichever is free does the work, and a busy or slow worker costs the writer
 * at most one record's wait. Small groups are sealed inline, where posting a
 * job would cost more than it saves.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import type { Hashers } from "./checksums.ts";
import { sealRecord } from "./record_codec.ts";
import { claimAndSeal, HEADER_SLOTS, SEALED, type SealJob } from "./seal_job.ts";

/** Groups smaller than this are sealed on the writer's thread alone. */
export const PARALLEL_MIN_BYTES = 64 * 1024;

/** How long the writer waits for the worker's last claimed record before giving up on it. */
const STALL_MS = 1000;

/** Seals placed records, sharing large groups with a worker once it is ready. */
export class ParallelSealer {
  #h: Hashers;
  #worker: Worker | null = null;
  #ready = false;
  #broken = false;

  /** A sealer hashing with `h` on this thread. */
  constructor(h: Hashers) {
    this.#h = h;
  }

  /** Whether large groups are currently shared with the worker. */
  get parallel(): boolean {
    return this.#ready;
  }

  /**
   * Seal the records starting at `starts` inside `buf`, which spans `bytes`
   * bytes of records. Returns once every record is sealed: `true` normally,
   * `false` when a stalled worker was abandoned and might still write into
   * `buf` (the same bytes it already holds) — the caller must not reuse `buf`
   * for other data then.
   */
  seal(buf: Uint8Array, starts: number[], bytes: number): boolean {
    const h = this.#h;
    const shared = buf.buffer instanceof SharedArrayBuffer;
    if (bytes < PARALLEL_MIN_BYTES || starts.length < 2 || !shared || !this.#ready) {
      if (shared && bytes >= PARALLEL_MIN_BYTES) this.#start();
      for (const at of starts) sealRecord(h, buf, at);
      return true;
    }
    const count = starts.length;
    const control = new SharedArrayBuffer(4 * (HEADER_SLOTS + count));
    const slots = new Int32Array(control);
    for (let i = 0; i < count; i++) slots[HEADER_SLOTS + i] = starts[i];
    const job: SealJob = { buffer: buf.buffer as SharedArrayBuffer, control, count };
    this.#worker!.postMessage(job);
    claimAndSeal(job, (b, at) => sealRecord(h, b, at));
    const deadline = performance.now() + STALL_MS;
    let sealed: number;
    while ((sealed = Atomics.load(slots, SEALED)) < count) {
      const left = deadline - performance.now();
      if (left <= 0) {
        // The worker claimed a record and stalled: stop trusting it and seal
        // everything here (sealing is deterministic, so a late worker write
        // puts the same bytes).
        this.close();
        this.#broken = true;
        for (const at of starts) sealRecord(h, buf, at);
        return false;
      }
      Atomics.wait(slots, SEALED, sealed, left);
    }
    return true;
  }

  /** Stop the worker. */
  close(): void {
    void this.#worker?.terminate();
    this.#worker = null;
    this.#ready = false;
  }

  #start(): void {
    if (this.#worker !== null || this.#broken) return;
    try {
      const worker = new Worker(new URL("./hash_worker.ts", import.meta.url));
      // An idle worker must not keep the process alive (a writer left open at exit).
      worker.unref();
      worker.once("message", () => {
        if (this.#worker === worker) this.#ready = true;
      });
      worker.on("error", () => {
        if (this.#worker === worker) this.close();
        this.#broken = true;
      });
      this.#worker = worker;
    } catch {
      this.#broken = true;
    }
  }
}
