/**
 * The request span of a server that Deno does not instrument: `Deno.serve`
 * opens one for every request under `OTEL_DENO=true`, a `node:http` server
 * does not, so the listener that serves the app over `node:http` opens it
 * here, with the same name (the method, until `nameRequestSpan()` names the
 * route) and the same place in the trace (the caller's `traceparent`, when
 * a propagator is registered).
 *
 * @module
 */

import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";

const tracer = trace.getTracer("stemedb");

const headerGetter = {
  get: (headers: Headers, key: string) => headers.get(key) ?? undefined,
  keys: (headers: Headers) => [...headers.keys()],
};

/**
 * Run `exchange` (answer `request` and write the answer; it resolves to the
 * status sent) inside a server span for `request`, active for everything
 * the handler does, ended once the answer is written.
 *
 * @example Wrap one exchange
 * ```ts
 * import { inServerSpan } from "@stemedb/ingest/telemetry";
 *
 * const status = await inServerSpan(new Request("http://localhost/health"), () => Promise.resolve(200));
 * console.log(status); // 200
 * ```
 */
export function inServerSpan(
  request: Request,
  exchange: () => Promise<number>,
): Promise<number> {
  const parent = propagation.extract(context.active(), request.headers, headerGetter);
  const span = tracer.startSpan(request.method, { kind: SpanKind.SERVER }, parent);
  // Without an exporter the span records nothing: no attributes, no context to carry.
  if (!span.isRecording()) {
    span.end();
    return exchange();
  }
  const url = new URL(request.url);
  span.setAttributes({
    "http.request.method": request.method,
    "url.scheme": url.protocol.slice(0, -1),
    "url.path": url.pathname,
    "server.address": url.hostname,
  });
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      const status = await exchange();
      span.setAttribute("http.response.status_code", status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      return status;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}
