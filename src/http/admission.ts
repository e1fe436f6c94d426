/**
 * Whether a write may start: at most so many writes in flight at once (each
 * holds up to a body's worth of memory), and none while the ingestor is more
 * than the configured lag behind. Refusals are 429 with `Retry-After`, so
 * producers slow down instead of queueing without bound.
 *
 * @module
 */

import { telemetry } from "../telemetry/mod.ts";
import { HttpError } from "./errors.ts";
import type { LagPort } from "./ports.ts";

/** Default cap on write requests in flight at once. */
export const DEFAULT_MAX_INFLIGHT_WRITES = 64;

/** Longest `Retry-After` the lag check answers, in seconds. */
const MAX_RETRY_AFTER_S = 60;

/** Options of `new Admission()`. */
export interface AdmissionOptions {
  /** Most writes in flight at once. */
  maxInflight: number;
  /** Most records behind before writes are refused; `undefined`: no limit. */
  maxLagRecords?: number;
  /** The tracked lag; needed with `maxLagRecords`. */
  lag?: LagPort;
}

/** Admits writes, counting those in flight. */
export class Admission {
  #options: AdmissionOptions;
  #inflight = 0;

  /** Admission under `options`. */
  constructor(options: AdmissionOptions) {
    if (!(Number.isInteger(options.maxInflight) && options.maxInflight >= 1)) {
      throw new RangeError(
        `Cannot create app: maxInflightWrites "${options.maxInflight}" is not an integer >= 1`,
      );
    }
    const max = options.maxLagRecords;
    if (max !== undefined && !(Number.isInteger(max) && max >= 1)) {
      throw new RangeError(`Cannot create app: maxLagRecords "${max}" is not an integer >= 1`);
    }
    if (max !== undefined && options.lag === undefined) {
      throw new TypeError("Cannot create app: maxLagRecords needs a lag tracker (option lag)");
    }
    this.#options = options;
  }

  /** Writes in flight now. */
  get inflight(): number {
    return this.#inflight;
  }

  /**
   * Admit one write and run it; throws 429 when too many are in flight or the
   * ingestor is too far behind. The cached lag is read, never the store.
   */
  async run<T>(write: () => Promise<T>): Promise<T> {
    const { maxInflight, maxLagRecords, lag } = this.#options;
    if (this.#inflight >= maxInflight) {
      telemetry.refusedWrites.add(1, { reason: "inflight" });
      throw new HttpError(
        429,
        "too_many_requests",
        `Cannot accept write: ${maxInflight} writes are already in flight`,
        { headers: { "Retry-After": "1" } },
      );
    }
    if (maxLagRecords !== undefined && lag !== undefined) {
      const { records, applyRate } = lag.lag;
      if (records >= maxLagRecords) {
        telemetry.refusedWrites.add(1, { reason: "lag" });
        // Long enough for the ingestor, at its recent rate, to get back under the limit.
        const excess = records - maxLagRecords + 1;
        const seconds = applyRate > 0 ? Math.ceil(excess / applyRate) : 1;
        const retryAfter = Math.min(MAX_RETRY_AFTER_S, Math.max(1, seconds));
        throw new HttpError(
          429,
          "too_many_requests",
          `Cannot accept write: the ingestor is ${records} records behind, the limit is ${maxLagRecords}`,
          { headers: { "Retry-After": String(retryAfter) }, details: { lagRecords: records } },
        );
      }
    }
    this.#inflight++;
    try {
      return await write();
    } finally {
      this.#inflight--;
    }
  }
}
