/**
 * stemedb's own spans and metrics, through `npm:@opentelemetry/api`: with
 * `OTEL_DENO=true` Deno exports them over OTLP alongside its automatic
 * `Deno.serve` spans; `GET /metrics` renders the same metrics in Prometheus
 * text. This module imports nothing else of stemedb, so every layer (the
 * journal's file layer included) can record into it.
 *
 * @example Record and render
 * ```ts
 * import { renderPrometheus, telemetry } from "@stemedb/ingest/telemetry";
 *
 * telemetry.fdatasyncDuration.record(1.5);
 * console.log(renderPrometheus().includes("stemedb_wal_fdatasync_duration_milliseconds_count")); // true
 * ```
 *
 * @module
 */
export { type StemedbInstruments, telemetry } from "./instruments.ts";
export {
  Counter,
  Gauge,
  Histogram,
  type HistogramValue,
  type InstrumentInfo,
  type Labels,
  type Series,
} from "./registry.ts";
export { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "./prometheus.ts";
export { inServerSpan } from "./server_span.ts";
export {
  endSpan,
  nameRequestSpan,
  type OpenSpan,
  type SpanAttributes,
  startChildSpan,
} from "./tracing.ts";
