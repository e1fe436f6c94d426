/**
 * The KV Connect test server: Deno's remote KV protocol over HTTP/2
 * cleartext, backed by a real Deno KV in a temporary SQLite file, with
 * faults injected between the client and that KV. See `README.md` beside
 * this file for what it serves, how tests drive it, and the table of what
 * Deno's remote client does under each fault.
 *
 * @module
 */

import http2 from "node:http2";
import type { Socket } from "node:net";
import { atomicWrite, BadRequestError, snapshotRead } from "./data_path.ts";
import {
  FAULT_KINDS,
  type FaultKind,
  FaultPlan,
  type KvConnectFaults,
  type KvConnectOperation,
} from "./faults.ts";
import { KeyDecodeError } from "./key_codec.ts";
import {
  AtomicWriteStatus,
  decodeAtomicWrite,
  decodeSnapshotRead,
  encodeAtomicWriteOutput,
  encodeSnapshotReadOutput,
  MessageDecodeError,
} from "./messages.ts";
import { ValueDecodeError } from "./value_codec.ts";

/** The access token a server accepts unless told otherwise. */
export const DEFAULT_TOKEN = "kv-connect-test-token";
/** Protocol versions served; the metadata exchange picks the highest the client also speaks. */
export const PROTOCOL_VERSIONS: readonly number[] = [1, 2, 3];
/** Where the data path lives, below the server's URL. */
const DATA_PATH_PREFIX = "/data";
/**
 * Shortest metadata lifetime served: Deno 2.9.6's client refetches metadata
 * once about 10 s or less of it remain, so a lifetime under that refetches in
 * a tight loop (measured: ~1500 exchanges in 6 s with 2 s or 8 s).
 */
export const MIN_METADATA_TTL_MS = 15_000;
/** Largest request body read; denokv's own limits keep real requests far below it. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Options of {@linkcode startKvConnectServer}. */
export interface KvConnectServerOptions {
  /** The access token the metadata exchange accepts. @default DEFAULT_TOKEN */
  token?: string;
  /** Faults from the first request on; change them later with `setFaults`. @default {} */
  faults?: KvConnectFaults;
  /**
   * How long the metadata the server hands out stays valid, in ms; at least
   * `MIN_METADATA_TTL_MS`. @default 3_600_000
   */
  metadataTtlMs?: number;
}

/** What a server has seen and done, for tests to assert against. */
export interface KvConnectStats {
  /** Requests received, by operation, faulted or not. */
  requests: Record<KvConnectOperation, number>;
  /** Faults injected, by kind; `unauthorized` counts requests refused with 401. */
  faults: Record<FaultKind, number>;
  /** Atomic writes committed to the backing KV, whatever became of their answer. */
  appliedWrites: number;
  /** Atomic writes that reached the backing KV and failed a check. */
  checkFailures: number;
  /** Requests answered 4xx for being malformed or unsupported (401 aside). */
  badRequests: number;
}

/** A running KV Connect test server. */
export interface KvConnectServer extends AsyncDisposable {
  /** The URL to pass to `Deno.openKv`, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** The access token it accepts; put it in `DENO_KV_ACCESS_TOKEN`. */
  readonly token: string;
  /** The backing Deno KV, for seeding and inspecting state beside the client. */
  readonly kv: Deno.Kv;
  /** A copy of the counters so far. */
  readonly stats: KvConnectStats;
  /** Replaces the faults (and restarts the seeded generator) for later requests. */
  setFaults(faults: KvConnectFaults): void;
  /** Lets every stalled request go on; returns how many were held. */
  releaseStalls(): number;
  /**
   * Stops listening, drops every connection and held request (unapplied),
   * waits for requests being applied, then closes and deletes the backing
   * KV. Idempotent.
   */
  close(): Promise<void>;
}

type Stream = http2.ServerHttp2Stream;

/**
 * Starts a KV Connect server on an ephemeral loopback port.
 *
 * @throws {RangeError} If a fault rule or `metadataTtlMs` is out of range.
 */
export async function startKvConnectServer(
  options: KvConnectServerOptions = {},
): Promise<KvConnectServer> {
  const token = options.token ?? DEFAULT_TOKEN;
  const ttlMs = options.metadataTtlMs ?? 3_600_000;
  if (!(ttlMs >= MIN_METADATA_TTL_MS)) {
    throw new RangeError(
      `Cannot start KV Connect server: metadataTtlMs must be >= ${MIN_METADATA_TTL_MS}, got ${ttlMs}`,
    );
  }
  let plan = new FaultPlan(options.faults);
  const dir = await Deno.makeTempDir({ prefix: "stemedb_kv_connect_" });
  const kv = await Deno.openKv(`${dir}/backing.sqlite`);
  const databaseId = crypto.randomUUID();
  const dataToken = crypto.randomUUID();
  const stats: KvConnectStats = {
    requests: { metadata: 0, snapshot_read: 0, atomic_write: 0 },
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    appliedWrites: 0,
    checkFailures: 0,
    badRequests: 0,
  };
  const stalls = new Set<() => void>();
  const inflight = new Set<Promise<void>>();
  let stopping = false;
  const sockets = new Set<Socket>();
  const server = http2.createServer();
  let url = "";

  server.on("connection", (socket: Socket) => {
    if (plan.faults.down === "close") {
      stats.faults.down++;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("session", (session) => session.on("error", () => {}));
  server.on("stream", (stream: Stream, headers: http2.IncomingHttpHeaders) => {
    stream.on("error", () => {});
    const handled = handle(stream, headers).catch((error) => {
      // A fault of the server itself, not an injected one: say so if the
      // answer has not started, else all that is left is to reset.
      if (stream.destroyed) return;
      if (stream.headersSent) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      else reply(stream, 500, `KV Connect test server failed: ${String(error)}`);
    });
    inflight.add(handled);
    handled.finally(() => inflight.delete(handled));
  });

  const fire = (kind: Parameters<FaultPlan["fires"]>[0], op: KvConnectOperation) => {
    if (!plan.fires(kind, op)) return false;
    stats.faults[kind]++;
    return true;
  };

  async function handle(stream: Stream, headers: http2.IncomingHttpHeaders): Promise<void> {
    const path = headers[":path"] ?? "";
    const op = route(path);
    if (op === undefined) return reply(stream, 404, `No KV Connect endpoint at "${path}"`);
    if (headers[":method"] !== "POST") {
      return reply(stream, 405, `KV Connect endpoint "${path}" takes POST`, { allow: "POST" });
    }
    const body = await readBody(stream);
    if (body === undefined) return;
    stats.requests[op]++;
    if (plan.faults.down === "503") {
      stats.faults.down++;
      return reply(stream, 503, "KV Connect test server is down");
    }
    if (plan.faults.down === "close") {
      stats.faults.down++;
      stream.session?.destroy();
      return;
    }
    if (!authorized(op, headers)) {
      stats.faults.unauthorized++;
      return reply(stream, 401, "Invalid KV Connect access token");
    }
    const gone = closed(stream);
    const latency = plan.faults.latency;
    if (latency && fire("latency", op)) await Promise.race([delay(latency.ms, gone), gone]);
    if (fire("stall", op)) {
      const released = Promise.withResolvers<void>();
      stalls.add(released.resolve);
      await Promise.race([released.promise, gone]);
      stalls.delete(released.resolve);
    }
    // A held request whose client left, or whose server is closing, is
    // dropped unapplied: closing must not write to a KV it is about to close.
    if (stream.destroyed) return;
    if (stopping) {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    if (fire("error5xx", op)) {
      const status = plan.faults.error5xx?.status ?? 503;
      return reply(stream, status, `Injected ${status} before applying`);
    }
    if (fire("closeBeforeApply", op)) {
      if (plan.faults.closeBeforeApply?.how === "socket") stream.session?.destroy();
      else stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    const answer = await apply(op, headers, body);
    if (stream.destroyed) return;
    if (!answer.ok) return reply(stream, answer.status, answer.text);
    if (fire("lostAfterApply", op)) {
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    if (fire("cutAfterApply", op)) {
      const half = answer.body.subarray(0, Math.floor(answer.body.length / 2));
      if (plan.faults.cutAfterApply?.how === "end") {
        stream.respond({ ":status": 200, "content-type": answer.type });
        stream.end(half);
      } else {
        stream.respond({
          ":status": 200,
          "content-type": answer.type,
          "content-length": String(answer.body.length),
        });
        stream.write(half, () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
      }
      return;
    }
    stream.respond({
      ":status": 200,
      "content-type": answer.type,
      "content-length": String(answer.body.length),
    });
    stream.end(answer.body);
  }

  function route(path: string): KvConnectOperation | undefined {
    if (path === "/") return "metadata";
    if (path === `${DATA_PATH_PREFIX}/snapshot_read`) return "snapshot_read";
    if (path === `${DATA_PATH_PREFIX}/atomic_write`) return "atomic_write";
    return undefined;
  }

  function authorized(op: KvConnectOperation, headers: http2.IncomingHttpHeaders): boolean {
    if (op === "metadata") return headers.authorization === `Bearer ${token}`;
    const id = headers["x-denokv-database-id"] ?? headers["x-transaction-domain-id"];
    return headers.authorization === `Bearer ${dataToken}` && id === databaseId;
  }

  type Answer =
    | { ok: true; type: string; body: Uint8Array }
    | { ok: false; status: number; text: string };

  async function apply(
    op: KvConnectOperation,
    headers: http2.IncomingHttpHeaders,
    body: Uint8Array,
  ): Promise<Answer> {
    try {
      if (op === "metadata") return metadata(body);
      const version = Number(headers["x-denokv-version"] ?? 1);
      if (!PROTOCOL_VERSIONS.includes(version)) {
        throw new BadRequestError(`Unsupported KV Connect protocol version "${version}"`);
      }
      if (op === "snapshot_read") {
        const ranges = await snapshotRead(kv, decodeSnapshotRead(body));
        return protobuf(encodeSnapshotReadOutput(ranges));
      }
      const answer = await atomicWrite(kv, decodeAtomicWrite(body));
      if (answer.status === AtomicWriteStatus.SUCCESS) stats.appliedWrites++;
      else stats.checkFailures++;
      return protobuf(encodeAtomicWriteOutput(answer));
    } catch (error) {
      if (!isClientMistake(error)) throw error;
      stats.badRequests++;
      return { ok: false, status: 400, text: (error as Error).message };
    }
  }

  function metadata(body: Uint8Array): Answer {
    let supported = [1];
    if (body.length > 0) {
      const request = JSON.parse(new TextDecoder().decode(body));
      if (Array.isArray(request?.supportedVersions)) supported = request.supportedVersions;
    }
    const version = Math.max(...PROTOCOL_VERSIONS.filter((v) => supported.includes(v)));
    if (version === -Infinity) {
      throw new BadRequestError(
        `No common KV Connect protocol version: client speaks ${JSON.stringify(supported)}`,
      );
    }
    const response = {
      version,
      [version === 1 ? "uuid" : "databaseId"]: databaseId,
      endpoints: [{ url: `${url}${DATA_PATH_PREFIX}`, consistency: "strong" }],
      token: dataToken,
      expiresAt: new Date(Date.now() + ttlMs).toISOString(),
    };
    return {
      ok: true,
      type: "application/json",
      body: new TextEncoder().encode(JSON.stringify(response)),
    };
  }

  const listening = Promise.withResolvers<void>();
  server.once("error", listening.reject);
  server.listen(0, "127.0.0.1", () => listening.resolve());
  await listening.promise;
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error("Cannot read server address");
  }
  url = `http://127.0.0.1:${address.port}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stopping = true;
      for (const release of stalls) release();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await stopped;
      await Promise.all(inflight);
      kv.close();
      await Deno.remove(dir, { recursive: true });
    })();
    return closing;
  };

  return {
    url,
    token,
    kv,
    get stats() {
      return structuredClone(stats);
    },
    setFaults(faults) {
      plan = new FaultPlan(faults);
    },
    releaseStalls() {
      const held = stalls.size;
      for (const release of stalls) release();
      stalls.clear();
      return held;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function isClientMistake(error: unknown): boolean {
  return error instanceof BadRequestError || error instanceof KeyDecodeError ||
    error instanceof ValueDecodeError || error instanceof MessageDecodeError ||
    error instanceof SyntaxError || error instanceof TypeError || error instanceof RangeError;
}

function protobuf(body: Uint8Array) {
  return { ok: true as const, type: "application/x-protobuf", body };
}

function reply(stream: Stream, status: number, text: string, extra: Record<string, string> = {}) {
  if (stream.destroyed) return;
  const body = new TextEncoder().encode(text);
  stream.respond({
    ":status": status,
    "content-type": "text/plain; charset=utf-8",
    "content-length": String(body.length),
    ...extra,
  });
  stream.end(body);
}

/** The request body, or undefined when the stream closed first or it was too large. */
async function readBody(stream: Stream): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += (chunk as Uint8Array).length;
      if (size > MAX_BODY_BYTES) {
        reply(stream, 413, `Request body over ${MAX_BODY_BYTES} bytes`);
        return undefined;
      }
      chunks.push(chunk as Uint8Array);
    }
  } catch {
    return undefined;
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}

/** Resolves when the client resets or the connection drops. */
function closed(stream: Stream): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => stream.once("close", () => resolve()));
}

/** Waits `ms`, or less if `cancel` settles first; leaves no timer behind. */
function delay(ms: number, cancel: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    cancel.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
