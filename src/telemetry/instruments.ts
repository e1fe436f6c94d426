/**
 * The service's own measures, each defined once here: the HTTP layer, the
 * journal's file layer, the lag tracker and the ingest commit pipeline record
 * into these, and `GET /metrics` renders them all.
 *
 * @module
 */

import { Counter, Gauge, Histogram } from "./registry.ts";

/** Latency bounds in milliseconds: sub-millisecond syncs up to multi-second stalls. */
const MS_BOUNDS = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
/** Record-count bounds: powers of two up to 64 Ki records. */
const RECORD_BOUNDS: number[] = Array.from({ length: 17 }, (_, i) => 2 ** i);
/** Byte bounds: powers of four from 256 B to 64 MiB. */
const BYTE_BOUNDS: number[] = Array.from({ length: 10 }, (_, i) => 256 * 4 ** i);

/** The instruments of {@linkcode telemetry}, by what each measures. */
export interface StemedbInstruments {
  /** See {@linkcode telemetry}. */
  readonly appendDuration: Histogram;
  /** See {@linkcode telemetry}. */
  readonly groupRecords: Histogram;
  /** See {@linkcode telemetry}. */
  readonly groupBytes: Histogram;
  /** See {@linkcode telemetry}. */
  readonly fdatasyncDuration: Histogram;
  /** See {@linkcode telemetry}. */
  readonly lagRecords: Gauge;
  /** See {@linkcode telemetry}. */
  readonly lagBytes: Gauge;
  /** See {@linkcode telemetry}. */
  readonly lagSeconds: Gauge;
  /** See {@linkcode telemetry}. */
  readonly ingestCommits: Counter;
  /** See {@linkcode telemetry}. */
  readonly ingestRecords: Counter;
  /** See {@linkcode telemetry}. */
  readonly ingestConflicts: Counter;
  /** See {@linkcode telemetry}. */
  readonly deadLetters: Counter;
  /** See {@linkcode telemetry}. */
  readonly retries: Counter;
  /** See {@linkcode telemetry}. */
  readonly ingestCommitDuration: Histogram;
  /** See {@linkcode telemetry}. */
  readonly refusedWrites: Counter;
}

/**
 * Every instrument of stemedb, by what it measures.
 *
 * @example Read what has been recorded
 * ```ts
 * import { telemetry } from "@stemedb/ingest/telemetry";
 *
 * telemetry.ingestCommits.add(1);
 * console.log(telemetry.ingestCommits.series().length > 0); // true
 * ```
 */
export const telemetry: StemedbInstruments = {
  /** Time from handing records to the journal to their being durable, per write request. */
  appendDuration: new Histogram({
    name: "stemedb.append.duration",
    description: "Time a write request waits for its records to be durable",
    unit: "ms",
  }, MS_BOUNDS),
  /** Records per group commit (per move of the durable end). */
  groupRecords: new Histogram({
    name: "stemedb.wal.group.records",
    description: "Records made durable by one group commit",
    unit: "{record}",
  }, RECORD_BOUNDS),
  /** Bytes per group commit, record headers included. */
  groupBytes: new Histogram({
    name: "stemedb.wal.group.bytes",
    description: "Journal bytes made durable by one group commit",
    unit: "By",
  }, BYTE_BOUNDS),
  /** fdatasync of a journal segment. */
  fdatasyncDuration: new Histogram({
    name: "stemedb.wal.fdatasync.duration",
    description: "Duration of one fdatasync of a journal segment",
    unit: "ms",
  }, MS_BOUNDS),
  /** Durable records not yet applied to the store. */
  lagRecords: new Gauge({
    name: "stemedb.ingest.lag.records",
    description: "Durable records not yet applied to the store",
    unit: "{record}",
  }),
  /** Durable bytes not yet applied to the store. */
  lagBytes: new Gauge({
    name: "stemedb.ingest.lag.bytes",
    description: "Durable journal bytes not yet applied to the store",
    unit: "By",
  }),
  /** Age of the oldest durable record not yet applied. */
  lagSeconds: new Gauge({
    name: "stemedb.ingest.lag.seconds",
    description: "Age of the oldest durable record not yet applied to the store",
    unit: "s",
  }),
  /** Ingest commits confirmed. */
  ingestCommits: new Counter({
    name: "stemedb.ingest.commits",
    description: "Ingest commits confirmed by the store",
    unit: "{commit}",
  }),
  /** Records applied by confirmed ingest commits. */
  ingestRecords: new Counter({
    name: "stemedb.ingest.records",
    description: "Records applied to the store by confirmed ingest commits",
    unit: "{record}",
  }),
  /** Ingest commits refused by the cursor's versionstamp check (another ingestor moved it). */
  ingestConflicts: new Counter({
    name: "stemedb.ingest.conflicts",
    description: "Ingest commits that failed the cursor versionstamp check",
    unit: "{commit}",
  }),
  /** Records written to dead letters. */
  deadLetters: new Counter({
    name: "stemedb.ingest.dead_letters",
    description: "Records the ingestor could not apply and wrote to dead letters",
    unit: "{record}",
  }),
  /**
   * Store calls retried after a failure that may or may not have applied
   * (label `call`); a retried commit carries the same versionstamp check, so
   * it never applies twice.
   */
  retries: new Counter({
    name: "stemedb.ingest.retries",
    description: "Store calls retried after a failure whose outcome is unknown",
    unit: "{retry}",
  }),
  /** Duration of one ingest commit, sent to confirmed. */
  ingestCommitDuration: new Histogram({
    name: "stemedb.ingest.commit.duration",
    description: "Time from sending an ingest commit to its outcome",
    unit: "ms",
  }, MS_BOUNDS),
  /** Write requests refused before reading their body (label `reason`). */
  refusedWrites: new Counter({
    name: "stemedb.http.refused_writes",
    description: "Write requests refused to protect the service (lag, concurrency, timeouts)",
    unit: "{request}",
  }),
};
