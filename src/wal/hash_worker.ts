/**
 * Worker side of the parallel sealer: claims records of a job one at a time
 * from a shared counter and seals them (digest + crc) in the shared buffer.
 * Runs as a `node:worker_threads` worker so the writer can `unref()` it: an
 * idle worker never keeps a process alive. Not part of the public API.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { loadHashers } from "./checksums.ts";
import { sealRecord } from "./record_codec.ts";
import { claimAndSeal, type SealJob } from "./seal_job.ts";

const hashers = await loadHashers();

parentPort!.on("message", (job: SealJob) => {
  claimAndSeal(job, (buf, at) => sealRecord(hashers, buf, at));
});
parentPort!.postMessage("ready");
