/**
 * One exchange of the `node:http` listener: a `node:http` request as a fetch
 * `Request` (its body a stream read on demand, so nothing is buffered that
 * the handler did not ask for), and a fetch `Response` written back to the
 * `ServerResponse` with backpressure. A response body that ends within its
 * first {@linkcode WHOLE_BODY_BYTES} is sent with `Content-Length`, a longer
 * or still-streaming one chunked, as `Deno.serve` does.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type { ConnectionInfo } from "./app.ts";

/**
 * Most response bytes gathered before the head is sent: a body that ends
 * within them (every JSON answer of the app) gets a `Content-Length`; past
 * them the head goes out and the rest streams chunked.
 */
const WHOLE_BODY_BYTES = 64 * 1024;

/**
 * Bytes of request body the stream holds before it pauses the socket: the
 * kernel's buffers, not this process, hold what a slow reader has not taken.
 */
const BODY_HIGH_WATER_BYTES = 64 * 1024;

/** Statuses that have no body on the wire (RFC 9110 §6.4.1). */
const NO_BODY = new Set([101, 204, 205, 304]);

/** The request as a handler sees it, and what the listener needs to finish the exchange. */
export interface Exchange {
  /** The fetch request. */
  request: Request;
  /** The peer, as `Deno.serve` passes it; `undefined` once the socket is gone. */
  info: ConnectionInfo | undefined;
}

/** `req` as a fetch `Request` over `base` (the listener's own origin when `Host` is unusable). */
export function toRequest(req: IncomingMessage, res: ServerResponse, base: string): Exchange {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
  const method = req.method ?? "GET";
  // The client going away aborts the request: a handler waiting on something can stop.
  const aborted = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) aborted.abort(new Error("The client closed the connection"));
  });
  const hasBody = method !== "GET" && method !== "HEAD" &&
    (req.headers["transfer-encoding"] !== undefined ||
      Number(req.headers["content-length"] ?? 0) > 0);
  const request = new Request(urlOf(req, base), {
    method,
    headers,
    body: hasBody ? bodyStream(req) : null,
    signal: aborted.signal,
  });
  const { remoteAddress, remotePort } = req.socket;
  const info = remoteAddress === undefined || remotePort === undefined
    ? undefined
    : { remoteAddr: { transport: "tcp" as const, hostname: remoteAddress, port: remotePort } };
  return { request, info };
}

function urlOf(req: IncomingMessage, base: string): string {
  const target = req.url ?? "/";
  try {
    // Absolute-form targets (RFC 9112 §3.2.2) name their own origin.
    return new URL(target, req.headers.host ? `http://${req.headers.host}` : base).href;
  } catch {
    return new URL(target.startsWith("/") ? target : "/", base).href;
  }
}

/** The body of `req` as a stream that reads the socket only as fast as the handler reads it. */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.on("data", (chunk: Uint8Array) => {
        if (done) return;
        controller.enqueue(chunk);
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once("end", () => {
        if (done) return;
        done = true;
        controller.close();
      });
      // A client that goes away mid-body ends the stream with an error the handler sees.
      const cut = () => {
        if (done) return;
        done = true;
        controller.error(new Error("The client closed the connection before its body ended"));
      };
      req.once("aborted", cut);
      req.once("error", cut);
      req.once("close", () => {
        if (!req.complete) cut();
      });
    },
    pull() {
      req.resume();
    },
    cancel() {
      // Nothing more of the body is wanted; the listener closes the connection after the answer.
      done = true;
      req.pause();
    },
  }, { highWaterMark: BODY_HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength });
}

/**
 * Write `response` to `res`. A request body not read to its end closes the
 * connection after the answer (`Connection: close`), so the rest of it is
 * never drained; so does `close` (the listener is stopping). Resolves once
 * the answer is written or the client has gone.
 */
export async function writeResponse(
  { req, res, response, close }: {
    req: IncomingMessage;
    res: ServerResponse;
    response: Response;
    close: boolean;
  },
): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    // Framing is this layer's to decide from the bytes it writes.
    if (name === "transfer-encoding" || name === "set-cookie") continue;
    res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  if (close || !req.complete) res.setHeader("connection", "close");
  const body = response.body;
  if (body === null || NO_BODY.has(response.status)) {
    await body?.cancel().catch(() => {});
    if (!NO_BODY.has(response.status)) res.setHeader("content-length", "0");
    res.end();
    return;
  }
  const reader = body.getReader();
  const gone = () => reader.cancel().catch(() => {});
  res.once("close", gone);
  try {
    // HEAD: the head GET would get, Content-Length included when known; no body (node sends none).
    await writeBody(res, reader, req.method === "HEAD");
  } finally {
    res.off("close", gone);
    reader.releaseLock();
  }
}

async function writeBody(
  res: ServerResponse,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  headOnly: boolean,
): Promise<void> {
  const head: Uint8Array[] = [];
  let headBytes = 0;
  while (headBytes < WHOLE_BODY_BYTES) {
    const { done, value } = await reader.read();
    if (done) {
      if (!res.hasHeader("content-length")) res.setHeader("content-length", String(headBytes));
      res.end(headOnly ? undefined : concat(head, headBytes));
      return;
    }
    head.push(value);
    headBytes += value.byteLength;
  }
  if (headOnly) {
    await reader.cancel().catch(() => {});
    res.end();
    return;
  }
  if (!write(res, concat(head, headBytes))) await drained(res);
  while (!res.destroyed) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!write(res, value)) await drained(res);
  }
  if (!res.destroyed) res.end();
}

/** Write unless the connection is gone; whether the caller may write more before `drain`. */
function write(res: ServerResponse, chunk: Uint8Array): boolean {
  return res.destroyed ? true : res.write(chunk);
}

/** Resolves on `drain`, or when the connection closes (nothing more will drain). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
