/**
 * Worker side of the parallel sealer: claims records of a job one at a time
 * from a shared counter and seals them (digest + crc) in the shared buffer.
 * Not part of the public API.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { loadHashers } from "./checksums.ts";
import { sealRecord } from "./record_codec.ts";
import { claimAndSeal, type SealJob } from "./seal_job.ts";

const hashers = await loadHashers();

self.onmessage = (event: MessageEvent<SealJob>) => {
  claimAndSeal(event.data, (buf, at) => sealRecord(hashers, buf, at));
};
self.postMessage("ready");
