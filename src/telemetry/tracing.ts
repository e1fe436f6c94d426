/**
 * Spans of stemedb's own, through the OpenTelemetry API: under
 * `OTEL_DENO=true` Deno exports them with its own (the `Deno.serve` request
 * spans), in one trace; otherwise every call is a no-op.
 *
 * @module
 */

import { SpanStatusCode, trace } from "@opentelemetry/api";

/** The tracer every stemedb span comes from. */
const tracer = trace.getTracer("stemedb");

/** Attributes of a span: string, number or boolean values. */
export type SpanAttributes = Record<string, string | number | boolean>;

/** What stemedb does with a span it started (an OpenTelemetry `Span`). */
export interface OpenSpan {
  /** Set attributes. */
  setAttributes(attributes: SpanAttributes): unknown;
  /** Set the status (code 2 is an error). */
  setStatus(status: { code: number; message?: string }): unknown;
  /** End the span, at `endTime` (ms since the epoch) or now. */
  end(endTime?: number): void;
}

/**
 * Name the request span the server opened (Deno names it by method alone)
 * after the matched route, `POST /assertions`, and set `http.route`.
 *
 * @example Inside a handler
 * ```ts
 * import { nameRequestSpan } from "@stemedb/ingest/telemetry";
 *
 * nameRequestSpan("GET", "/epochs/:id"); // a no-op without an active span
 * ```
 */
export function nameRequestSpan(method: string, route: string): void {
  const span = trace.getActiveSpan();
  if (span === undefined) return;
  span.updateName(`${method} ${route}`);
  span.setAttribute("http.route", route);
}

/**
 * Start a child span of the active one, named `name`, with `attributes`.
 *
 * @example Time a step
 * ```ts
 * import { endSpan, startChildSpan } from "@stemedb/ingest/telemetry";
 *
 * const span = startChildSpan("example.step", { "example.records": 1 });
 * endSpan(span);
 * ```
 */
export function startChildSpan(name: string, attributes: SpanAttributes = {}): OpenSpan {
  return tracer.startSpan(name, { attributes });
}

/**
 * End `span`, marking it failed with `error` when one is given.
 *
 * @example End a failed step
 * ```ts
 * import { endSpan, startChildSpan } from "@stemedb/ingest/telemetry";
 *
 * endSpan(startChildSpan("example.step"), { error: new Error("disk full") });
 * ```
 */
export function endSpan(
  span: OpenSpan,
  options: { error?: unknown; attributes?: SpanAttributes; endTime?: number } = {},
): void {
  if (options.attributes !== undefined) span.setAttributes(options.attributes);
  if (options.error !== undefined) {
    const message = options.error instanceof Error ? options.error.message : String(options.error);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  }
  span.end(options.endTime);
}
