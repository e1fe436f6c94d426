/**
 * The two data path operations of KV Connect, served from a real Deno KV:
 * `snapshot_read` turns encoded key ranges into lists of the backing KV, and
 * `atomic_write` replays checks and mutations through the backing KV's own
 * `atomic()`, so check outcomes and versionstamps are the real ones.
 *
 * @module
 */

import { compareBytes, decodeKey, decodeKeyPrefix, encodeKey } from "./key_codec.ts";
import { decodeValue, encodeValue, readLe64 } from "./value_codec.ts";
import {
  type AtomicWriteAnswer,
  type AtomicWriteRequest,
  AtomicWriteStatus,
  MutationType,
  type ReadRange,
  ValueEncoding,
  type WireEntry,
  type WireMutation,
} from "./messages.ts";

/** A versionstamp is 10 raw bytes on the wire and 20 hex digits in Deno KV. */
export const VERSIONSTAMP_BYTES = 10;

/** Thrown for a request the server understands but will not serve (a 4xx). */
export class BadRequestError extends Error {
  override name = "BadRequestError";
}

/**
 * Reads every range. When each range names exactly one key (what `get` and
 * `getMany` send) all are read with one `getMany`, from one snapshot; other
 * ranges are each read by their own strongly consistent list.
 */
export async function snapshotRead(kv: Deno.Kv, ranges: ReadRange[]): Promise<WireEntry[][]> {
  for (const range of ranges) {
    if (range.limit <= 0) {
      throw new BadRequestError(`Cannot read range: limit must be positive, got ${range.limit}`);
    }
  }
  const exact = ranges.map(exactKey);
  if (exact.length > 0 && exact.every((key) => key !== undefined)) {
    const entries = await kv.getMany(exact as Deno.KvKey[]);
    return entries.map((entry) => entry.versionstamp === null ? [] : [wireEntry(entry)]);
  }
  const out: WireEntry[][] = [];
  for (const range of ranges) out.push(await readRange(kv, range));
  return out;
}

/** The key a range reads alone: `[encode(key), encode(key) + 0x00)`. */
function exactKey(range: ReadRange): Deno.KvKey | undefined {
  const { start, end } = range;
  if (end.length !== start.length + 1 || end[start.length] !== 0) return undefined;
  if (compareBytes(start, end.subarray(0, start.length)) !== 0) return undefined;
  const { parts, end: decoded } = decodeKeyPrefix(start);
  return decoded === start.length && parts.length > 0 ? parts : undefined;
}

async function readRange(kv: Deno.Kv, range: ReadRange): Promise<WireEntry[]> {
  const { start, end, limit, reverse } = range;
  if (compareBytes(start, end) >= 0) return [];
  // Every key in [start, end) begins with the bytes start and end share, so
  // the whole key parts among them are a prefix the backing KV can list.
  let common = 0;
  while (common < start.length && common < end.length && start[common] === end[common]) common++;
  const prefix = decodeKeyPrefix(start.subarray(0, common)).parts;
  const inRange = (key: Uint8Array) => compareBytes(key, start) >= 0 && compareBytes(key, end) < 0;

  const own = prefix.length > 0 && inRange(encodeKey(prefix)) ? await kv.get(prefix) : undefined;
  const ownEntry = own && own.versionstamp !== null ? [wireEntry(own)] : [];
  const out: WireEntry[] = reverse ? [] : [...ownEntry];
  for await (const entry of kv.list(listSelector(prefix, range), { reverse })) {
    if (out.length >= limit) break;
    const key = encodeKey(entry.key);
    if (reverse ? compareBytes(key, start) < 0 : compareBytes(key, end) >= 0) break;
    if (inRange(key)) out.push(wireEntry(entry));
  }
  if (reverse) out.push(...ownEntry);
  return out.slice(0, limit);
}

/** A backing selector covering the range, narrowed on the side the scan starts from. */
function listSelector(prefix: Deno.KvKey, range: ReadRange): Deno.KvListSelector {
  if (!range.reverse) {
    const start = decodeKeyPrefix(range.start).parts;
    return start.length > prefix.length ? { prefix, start } : { prefix };
  }
  const end = decodeKeyPrefix(range.end);
  return end.end === range.end.length && end.parts.length > prefix.length
    ? { prefix, end: end.parts }
    : { prefix };
}

function wireEntry(entry: Deno.KvEntry<unknown>): WireEntry {
  const value = encodeValue(entry.value);
  return {
    key: encodeKey(entry.key),
    value: value.data,
    encoding: value.encoding,
    versionstamp: versionstampBytes(entry.versionstamp),
  };
}

/** Deno KV's 20-hex-digit versionstamp as its 10 wire bytes. */
export function versionstampBytes(versionstamp: string): Uint8Array {
  const out = new Uint8Array(VERSIONSTAMP_BYTES);
  for (let i = 0; i < VERSIONSTAMP_BYTES; i++) {
    out[i] = parseInt(versionstamp.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

function versionstampHex(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return null;
  if (bytes.length !== VERSIONSTAMP_BYTES) {
    throw new BadRequestError(
      `Cannot check key: versionstamp must be ${VERSIONSTAMP_BYTES} bytes, got ${bytes.length}`,
    );
  }
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Applies an atomic write to the backing KV. On a check failure the failed
 * checks are found by reading the checked keys again, right after; a write
 * racing in between could change which ones are named, never the outcome.
 */
export async function atomicWrite(
  kv: Deno.Kv,
  request: AtomicWriteRequest,
): Promise<AtomicWriteAnswer> {
  if (request.enqueueCount > 0) {
    throw new BadRequestError(
      "Cannot enqueue: queues are not served by the KV Connect test server",
    );
  }
  const checks = request.checks.map((c) => ({
    key: decodeKey(c.key),
    versionstamp: versionstampHex(c.versionstamp),
  }));
  const op = kv.atomic();
  for (const check of checks) op.check(check);
  for (const mutation of request.mutations) addMutation(op, mutation);
  const result = await op.commit();
  if (result.ok) {
    return {
      status: AtomicWriteStatus.SUCCESS,
      versionstamp: versionstampBytes(result.versionstamp),
      failedChecks: [],
    };
  }
  const now = checks.length > 0 ? await kv.getMany(checks.map((c) => c.key)) : [];
  const failedChecks = checks.flatMap((c, i) => now[i].versionstamp === c.versionstamp ? [] : [i]);
  return { status: AtomicWriteStatus.CHECK_FAILURE, versionstamp: new Uint8Array(), failedChecks };
}

function addMutation(op: Deno.AtomicOperation, mutation: WireMutation): void {
  const key = decodeKey(mutation.key);
  switch (mutation.mutationType) {
    case MutationType.SET: {
      const expireIn = mutation.expireAtMs > 0
        ? Math.max(1, mutation.expireAtMs - Date.now())
        : undefined;
      op.set(key, decodeValue(requireValue(mutation)), { expireIn });
      return;
    }
    case MutationType.DELETE:
      op.delete(key);
      return;
    case MutationType.SUM:
      op.sum(key, le64Operand(mutation, "sum"));
      return;
    case MutationType.MIN:
      op.min(key, le64Operand(mutation, "min"));
      return;
    case MutationType.MAX:
      op.max(key, le64Operand(mutation, "max"));
      return;
    default:
      throw new BadRequestError(
        `Cannot apply mutation: type ${mutation.mutationType} is not served by the KV Connect test server`,
      );
  }
}

function requireValue(mutation: WireMutation) {
  if (mutation.value === null) {
    throw new BadRequestError(`Cannot apply mutation ${mutation.mutationType}: value is missing`);
  }
  return mutation.value;
}

function le64Operand(mutation: WireMutation, name: string): bigint {
  const value = requireValue(mutation);
  if (value.encoding !== ValueEncoding.LE64) {
    throw new BadRequestError(
      `Cannot apply ${name}: only LE64 (Deno.KvU64) operands are served, got encoding ${value.encoding}`,
    );
  }
  return readLe64(value.data);
}
