/**
 * A sealing job shared between the writer's thread and the hashing worker:
 * record positions and two counters in shared memory. Both sides claim records
 * with an atomic increment, so whichever thread is free does the work and the
 * writer never waits on a busy worker for more than one record.
 *
 * @module
 */

/** What the writer posts to the worker. */
export interface SealJob {
  /** The writer's shared encode buffer. */
  buffer: SharedArrayBuffer;
  /** `[next to claim, sealed]` counters, then the record positions (Int32). */
  control: SharedArrayBuffer;
  /** Number of records. */
  count: number;
}

/** Index of the claim counter in the control block. */
export const NEXT = 0;
/** Index of the sealed counter in the control block. */
export const SEALED = 1;
/** Int32 slots before the record positions. */
export const HEADER_SLOTS = 2;

/** Claim records of `job` until none are left, sealing each; returns how many this thread sealed. */
export function claimAndSeal(job: SealJob, seal: (buf: Uint8Array, at: number) => void): number {
  const buf = new Uint8Array(job.buffer);
  const control = new Int32Array(job.control);
  let mine = 0;
  while (true) {
    const i = Atomics.add(control, NEXT, 1);
    if (i >= job.count) break;
    seal(buf, control[HEADER_SLOTS + i]);
    mine++;
    if (Atomics.add(control, SEALED, 1) + 1 === job.count) Atomics.notify(control, SEALED);
  }
  return mine;
}
