/**
 * Seals large group commits on two cores: a worker hashes the second half of
 * the records while the writer's thread hashes the first. Hashing (BLAKE3 and
 * CRC-32C in WASM, about a microsecond per small record) dominates the cost of
 * a large batch; small groups are sealed inline, where a worker round trip
 * would cost more than it saves.
 *
 * @module
 */
import type { Hashers } from "./checksums.ts";
import { sealRecord } from "./record_codec.ts";

/** Groups smaller than this are sealed on the writer's thread alone. */
export const PARALLEL_MIN_BYTES = 64 * 1024;

/** Seals placed records, using a worker for large groups once it is ready. */
export class ParallelSealer {
  #h: Hashers;
  #worker: Worker | null = null;
  #ready = false;
  #broken = false;
  #next = 0;
  #pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  /** A sealer hashing with `h` on this thread. */
  constructor(h: Hashers) {
    this.#h = h;
  }

  /**
   * Seal the records starting at `starts` (ascending) inside `buf`, which
   * spans `bytes` bytes of records. Resolves once every record is sealed.
   */
  async seal(buf: Uint8Array, starts: number[], bytes: number): Promise<void> {
    const h = this.#h;
    if (
      bytes < PARALLEL_MIN_BYTES || starts.length < 2 || !(buf.buffer instanceof SharedArrayBuffer)
    ) {
      for (const at of starts) sealRecord(h, buf, at);
      return;
    }
    if (!this.#ready) {
      this.#start();
      for (const at of starts) sealRecord(h, buf, at);
      return;
    }
    // Split by bytes, not records: the cost is in hashing.
    const half = starts[0] + bytes / 2;
    let k = 1;
    while (k < starts.length - 1 && starts[k] < half) k++;
    const done = this.#post(buf.buffer, Int32Array.from(starts.slice(k)));
    for (let i = 0; i < k; i++) sealRecord(h, buf, starts[i]);
    try {
      await done;
    } catch {
      // The worker failed: never trust it again, seal its half here.
      this.close();
      this.#broken = true;
      for (let i = k; i < starts.length; i++) sealRecord(h, buf, starts[i]);
    }
  }

  /** Whether large groups are currently split with the worker. */
  get parallel(): boolean {
    return this.#ready;
  }

  /** Stop the worker. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#ready = false;
    for (const p of this.#pending.values()) p.reject(new Error("Sealer closed"));
    this.#pending.clear();
  }

  #start(): void {
    if (this.#worker !== null || this.#broken) return;
    try {
      const worker = new Worker(new URL("./hash_worker.ts", import.meta.url), { type: "module" });
      worker.onmessage = (event: MessageEvent<{ id: number; ok: boolean; error?: string }>) => {
        const { id, ok, error } = event.data;
        if (id === -1) {
          this.#ready = true;
          return;
        }
        const p = this.#pending.get(id);
        this.#pending.delete(id);
        if (ok) p?.resolve();
        else p?.reject(new Error(error));
      };
      worker.onerror = (event) => {
        event.preventDefault();
        this.close();
        this.#broken = true;
      };
      this.#worker = worker;
    } catch {
      this.#broken = true;
    }
  }

  #post(buffer: SharedArrayBuffer, starts: Int32Array): Promise<void> {
    const id = this.#next++;
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker!.postMessage({ id, buffer, starts });
    });
  }
}
