/**
 * One exchange of the `node:http` listener: a `node:http` request as a fetch
 * `Request` (its body the bytes node already holds when it came whole with
 * its head, else a stream read on demand, so nothing more is buffered than
 * the handler asks for), and a fetch `Response` written back to the
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

/**
 * The request as a handler sees it. Its `signal` does not abort when the
 * client goes away (a signal per request costs more than the rest of the
 * conversion and the app reads none): a body still arriving fails instead.
 */
export interface Exchange {
  /** The fetch request. */
  request: Request;
  /** The peer, as `Deno.serve` passes it; `undefined` once the socket is gone. */
  info: ConnectionInfo | undefined;
}

/** `req` as a fetch `Request` over `base` (the listener's own origin when `Host` is unusable). */
export function toRequest(req: IncomingMessage, base: string): Exchange {
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD" &&
    (req.headers["transfer-encoding"] !== undefined ||
      Number(req.headers["content-length"] ?? 0) > 0);
  const init = { method, body: hasBody ? arrived(req) ?? bodyStream(req) : null };
  const target = req.url ?? "/";
  let request: Request;
  try {
    // Absolute-form targets (RFC 9112 §3.2.2) name their own origin; `Request` parses the URL.
    request = new Request(
      target.startsWith("/") ? `http://${req.headers.host}${target}` : target,
      init,
    );
  } catch {
    request = new Request(new URL(target.startsWith("/") ? target : "/", base), init);
  }
  // Appended one by one, not passed as a `Headers` in `init`: Deno's Request copies a Headers
  // argument slowly (measured: about 25 µs a request, a third of what node:http itself costs).
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) request.headers.append(raw[i], raw[i + 1]);
  const { remoteAddress, remotePort } = req.socket;
  const info = remoteAddress === undefined || remotePort === undefined
    ? undefined
    : { remoteAddr: { transport: "tcp" as const, hostname: remoteAddress, port: remotePort } };
  return { request, info };
}

/**
 * The body of `req` when all of it has already arrived (node parses the
 * bytes that came with the head before the handler runs): those bytes,
 * which node holds anyway, as one buffer. A whole small body is the common
 * case, and a `Request` over bytes is read several times faster than one
 * over a stream (measured: about 6 µs against 22 µs a request). `null`
 * when the body is still arriving, or more than fits one socket read.
 */
function arrived(req: IncomingMessage): Uint8Array<ArrayBuffer> | null {
  if (!req.complete || req.readableLength > BODY_HIGH_WATER_BYTES) return null;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let chunk = req.read(); chunk !== null; chunk = req.read()) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  // Buffers over node's own ArrayBuffers, never shared memory.
  return concat(chunks, total) as Uint8Array<ArrayBuffer>;
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
  // One `writeHead()` with every header, not a `setHeader()` each: measured, the calls cost
  // more than the rest of the answer.
  const head: OutgoingHeaders = {};
  const cookies: string[] = [];
  for (const [name, value] of response.headers) {
    if (name === "set-cookie") cookies.push(value);
    // Framing is this layer's to decide from the bytes it writes.
    else if (name !== "transfer-encoding") head[name] = value;
  }
  if (cookies.length > 0) head["set-cookie"] = cookies;
  if (close || !req.complete) head.connection = "close";
  const status = { code: response.status, text: response.statusText || undefined, head };
  const body = response.body;
  if (body === null || NO_BODY.has(response.status)) {
    await body?.cancel().catch(() => {});
    if (!NO_BODY.has(response.status)) head["content-length"] ??= "0";
    writeHead(res, status);
    res.end();
    return;
  }
  const reader = body.getReader();
  const gone = () => reader.cancel().catch(() => {});
  res.once("close", gone);
  try {
    // HEAD: the head GET would get, Content-Length included when known; no body (node sends none).
    await writeBody(res, reader, { status, headOnly: req.method === "HEAD" });
  } finally {
    res.off("close", gone);
    reader.releaseLock();
  }
}

type OutgoingHeaders = Record<string, string | string[]>;

interface Status {
  code: number;
  text: string | undefined;
  head: OutgoingHeaders;
}

function writeHead(res: ServerResponse, { code, text, head }: Status): void {
  if (text === undefined) res.writeHead(code, head);
  else res.writeHead(code, text, head);
}

async function writeBody(
  res: ServerResponse,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  { status, headOnly }: { status: Status; headOnly: boolean },
): Promise<void> {
  const first: Uint8Array[] = [];
  let firstBytes = 0;
  while (firstBytes < WHOLE_BODY_BYTES) {
    const { done, value } = await reader.read();
    if (done) {
      status.head["content-length"] ??= String(firstBytes);
      writeHead(res, status);
      res.end(headOnly ? undefined : concat(first, firstBytes));
      return;
    }
    first.push(value);
    firstBytes += value.byteLength;
  }
  writeHead(res, status);
  if (headOnly) {
    await reader.cancel().catch(() => {});
    res.end();
    return;
  }
  if (!write(res, concat(first, firstBytes))) await drained(res);
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
  if (chunks.length === 0) return new Uint8Array(0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
