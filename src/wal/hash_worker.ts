/**
 * Worker side of the parallel sealer: seals (digest + crc) records placed in a
 * shared buffer by the writer. Not part of the public API.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { loadHashers } from "./checksums.ts";
import { sealRecord } from "./record_codec.ts";

/** A sealing job: record start positions inside a shared buffer. */
export interface SealJob {
  /** Job number, echoed back. */
  id: number;
  /** The writer's shared encode buffer. */
  buffer: SharedArrayBuffer;
  /** Positions of the records to seal. */
  starts: Int32Array;
}

const hashers = await loadHashers();

self.onmessage = (event: MessageEvent<SealJob>) => {
  const { id, buffer, starts } = event.data;
  try {
    const buf = new Uint8Array(buffer);
    for (let i = 0; i < starts.length; i++) sealRecord(hashers, buf, starts[i]);
    self.postMessage({ id, ok: true });
  } catch (e) {
    self.postMessage({ id, ok: false, error: String(e) });
  }
};
self.postMessage({ id: -1, ok: true }); // ready
