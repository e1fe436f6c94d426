/**
 * Instruments that record twice: into the OpenTelemetry API (which Deno wires
 * to its OTLP exporter under `OTEL_DENO=true`, and which is a no-op
 * otherwise) and into an in-process aggregate that `GET /metrics` renders in
 * Prometheus text format. The OpenTelemetry API has no way to read back what
 * was recorded, so the second copy is what a scrape answers from.
 *
 * @module
 */

import { type Attributes, metrics } from "@opentelemetry/api";

const meter = metrics.getMeter("stemedb");

/** Labels of one series, as OpenTelemetry attributes (string values only). */
export type Labels = Record<string, string>;

/** What every instrument tells the Prometheus renderer. */
export interface InstrumentInfo {
  /** Dotted OpenTelemetry name, such as `stemedb.append.duration`. */
  readonly name: string;
  /** One-line description. */
  readonly description: string;
  /** UCUM unit (`ms`, `By`, `s`, `{record}`). */
  readonly unit: string;
}

/** One series of an instrument: its labels and aggregate. */
export interface Series<T> {
  /** The series' labels. */
  labels: Labels;
  /** Its aggregate. */
  value: T;
}

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * A monotonic sum.
 *
 * @example Count a commit
 * ```ts
 * import { Counter } from "@stemedb/ingest/telemetry";
 *
 * const commits = new Counter({ name: "example.commits", description: "Commits", unit: "{commit}" });
 * commits.add(1, { outcome: "ok" });
 * console.log(commits.series()[0].value); // 1
 * ```
 */
export class Counter implements InstrumentInfo {
  /** Dotted name. */
  readonly name: string;
  /** Description. */
  readonly description: string;
  /** Unit. */
  readonly unit: string;
  #otel;
  #series = new Map<string, Series<number>>();

  /** A counter named and described by `info`. */
  constructor(info: InstrumentInfo) {
    ({ name: this.name, description: this.description, unit: this.unit } = info);
    this.#otel = meter.createCounter(info.name, { description: info.description, unit: info.unit });
  }

  /** Add `value` (at least 0) to the series of `labels`. */
  add(value: number, labels: Labels = {}): void {
    if (!(value >= 0)) return;
    this.#otel.add(value, labels as Attributes);
    const k = key(labels);
    const series = this.#series.get(k);
    if (series === undefined) this.#series.set(k, { labels, value });
    else series.value += value;
  }

  /** Every series recorded so far. */
  series(): Series<number>[] {
    return [...this.#series.values()];
  }
}

/** A histogram's aggregate: counts per upper bound (the last is +Inf), sum and count. */
export interface HistogramValue {
  /** Observations at or below each bound of `bounds`, not cumulative; one more for +Inf. */
  counts: number[];
  /** Sum of the observations. */
  sum: number;
  /** Number of observations. */
  count: number;
}

/**
 * A distribution over fixed bucket bounds (the same bounds are given to
 * OpenTelemetry as its advice, so both views bucket alike).
 *
 * @example Record a latency
 * ```ts
 * import { Histogram } from "@stemedb/ingest/telemetry";
 *
 * const latency = new Histogram(
 *   { name: "example.latency", description: "Latency", unit: "ms" },
 *   [1, 10, 100],
 * );
 * latency.record(4);
 * console.log(latency.series()[0].value.counts); // [ 0, 1, 0, 0 ]
 * ```
 */
export class Histogram implements InstrumentInfo {
  /** Dotted name. */
  readonly name: string;
  /** Description. */
  readonly description: string;
  /** Unit. */
  readonly unit: string;
  /** Upper bucket bounds, ascending. */
  readonly bounds: readonly number[];
  #otel;
  #series = new Map<string, Series<HistogramValue>>();

  /** A histogram named by `info` with upper bucket bounds `bounds` (ascending). */
  constructor(info: InstrumentInfo, bounds: readonly number[]) {
    ({ name: this.name, description: this.description, unit: this.unit } = info);
    this.bounds = bounds;
    this.#otel = meter.createHistogram(info.name, {
      description: info.description,
      unit: info.unit,
      advice: { explicitBucketBoundaries: [...bounds] },
    });
  }

  /** Record one observation in the series of `labels`. */
  record(value: number, labels: Labels = {}): void {
    if (!Number.isFinite(value)) return;
    this.#otel.record(value, labels as Attributes);
    const k = key(labels);
    let series = this.#series.get(k);
    if (series === undefined) {
      series = {
        labels,
        value: { counts: new Array(this.bounds.length + 1).fill(0), sum: 0, count: 0 },
      };
      this.#series.set(k, series);
    }
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    series.value.counts[i]++;
    series.value.sum += value;
    series.value.count++;
  }

  /** Every series recorded so far. */
  series(): Series<HistogramValue>[] {
    return [...this.#series.values()];
  }
}

/**
 * A value read when collected, from the sources registered with
 * {@linkcode Gauge.observe} (such as a running service's lag).
 *
 * @example Observe a queue length
 * ```ts
 * import { Gauge } from "@stemedb/ingest/telemetry";
 *
 * const depth = new Gauge({ name: "example.depth", description: "Depth", unit: "{item}" });
 * const stop = depth.observe(() => [{ labels: {}, value: 3 }]);
 * console.log(depth.series()[0].value); // 3
 * stop();
 * console.log(depth.series().length); // 0
 * ```
 */
export class Gauge implements InstrumentInfo {
  /** Dotted name. */
  readonly name: string;
  /** Description. */
  readonly description: string;
  /** Unit. */
  readonly unit: string;
  #sources = new Set<() => Series<number>[]>();

  /** A gauge named by `info`. */
  constructor(info: InstrumentInfo) {
    ({ name: this.name, description: this.description, unit: this.unit } = info);
    const gauge = meter.createObservableGauge(info.name, {
      description: info.description,
      unit: info.unit,
    });
    gauge.addCallback((result) => {
      for (const s of this.series()) result.observe(s.value, s.labels as Attributes);
    });
  }

  /** Add a source of series; returns the function that removes it. */
  observe(source: () => Series<number>[]): () => void {
    this.#sources.add(source);
    return () => this.#sources.delete(source);
  }

  /** The series every source gives now. */
  series(): Series<number>[] {
    return [...this.#sources].flatMap((source) => source());
  }
}
