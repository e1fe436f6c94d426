/**
 * The ingestor's own state in Deno KV: cursors, dead letters, consumers.
 *
 * @module
 */

import { kvSet } from "./plan.ts";
import type { KeyLayout } from "./keys.ts";
import { DEFAULT_PAGE_LIMIT, MAX_DEAD_LETTER_PAYLOAD_BYTES } from "./limits.ts";
import type {
  ConsumerInfo,
  CursorInfo,
  CursorLag,
  CursorState,
  DeadLetter,
  KvSet,
} from "./types.ts";

/**
 * Options of `KvStore.deadLetters`.
 *
 * @example List a few dead letters
 * ```ts
 * import { type DeadLetterListOptions, KvStore } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await KvStore.open(`${dir}/kv.sqlite`);
 * const options: DeadLetterListOptions = { limit: 10 };
 * assert.deepEqual(await store.deadLetters(undefined, options), []);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface DeadLetterListOptions {
  /**
   * Most dead letters to return.
   *
   * @default {DEFAULT_PAGE_LIMIT}
   */
  limit?: number;
}

/** The page limit of `options`, checked: an integer >= 1. */
export function deadLetterLimit(options?: DeadLetterListOptions): number {
  const limit = options?.limit ?? DEFAULT_PAGE_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`Cannot list dead letters: limit must be an integer >= 1, got ${limit}`);
  }
  return limit;
}

/** Stored value of a cursor key. */
interface CursorValue {
  offset: number;
  updatedAt: number;
  lag?: CursorLag;
  commit?: string;
}

/**
 * Longest commit id a cursor records, in characters (`crypto.randomUUID()`
 * takes 36): batch budgets count this much.
 *
 * @example Name a commit
 * ```ts
 * import { MAX_COMMIT_ID_LENGTH } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * assert.ok(crypto.randomUUID().length <= MAX_COMMIT_ID_LENGTH);
 * ```
 */
export const MAX_COMMIT_ID_LENGTH = 64;

/** Stored value of a dead-letter key. */
interface DeadLetterValue {
  reason: string;
  payload: Uint8Array;
  payloadBytes: number;
  at: number;
}

/** Stored value of a consumer key. */
interface ConsumerValue {
  offset: number;
  updatedAt: number;
}

/** Throws TypeError unless `offset` is a safe integer ≥ 0. */
export function checkOffset(action: string, offset: unknown): number {
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
    throw new TypeError(`Cannot ${action}: offset must be an integer >= 0, got ${String(offset)}`);
  }
  return offset;
}

/** Throws TypeError unless `id` is a non-empty string. */
export function checkJournalId(action: string, id: unknown): string {
  if (typeof id !== "string" || id.length === 0) {
    throw new TypeError(`Cannot ${action}: journal id must be a non-empty string`);
  }
  return id;
}

/** The set that writes a cursor. */
export function cursorSet(
  keys: KeyLayout,
  journalId: string,
  offset: number,
  at: { lag?: CursorLag; commit?: string; now: number },
): KvSet {
  const { lag, commit } = at;
  const value: CursorValue = { offset, updatedAt: at.now };
  if (lag !== undefined) value.lag = { ...lag };
  if (commit !== undefined) {
    if (typeof commit !== "string" || commit.length > MAX_COMMIT_ID_LENGTH) {
      throw new TypeError(
        `Cannot write cursor: commit id must be a string of at most ${MAX_COMMIT_ID_LENGTH} characters`,
      );
    }
    value.commit = commit;
  }
  return kvSet(keys.cursor(journalId), value);
}

/** The set that registers a consumer at `offset`. */
export function consumerSet(
  keys: KeyLayout,
  journalId: string,
  name: string,
  offset: number,
  now: number,
): KvSet {
  const value: ConsumerValue = { offset, updatedAt: now };
  return kvSet(keys.consumer(journalId, name), value);
}

/** The set that stores a dead letter, its payload truncated to fit. */
export function deadLetterSet(keys: KeyLayout, letter: DeadLetter, now: number): KvSet {
  checkJournalId("write dead letter", letter.journalId);
  checkOffset("write dead letter", letter.offset);
  const value: DeadLetterValue = {
    reason: String(letter.reason).slice(0, 1024),
    payload: letter.payload.slice(0, MAX_DEAD_LETTER_PAYLOAD_BYTES),
    payloadBytes: letter.payloadBytes ?? letter.payload.length,
    at: now,
  };
  return kvSet(keys.deadLetter(letter.journalId, letter.offset), value);
}

/** Reads a journal's cursor and the versionstamp to check it against. */
export async function readCursor(
  kv: Deno.Kv,
  keys: KeyLayout,
  journalId: string,
): Promise<CursorState> {
  checkJournalId("read cursor", journalId);
  const entry = await kv.get<CursorValue>(keys.cursor(journalId), { consistency: "strong" });
  const state: CursorState = {
    offset: entry.value?.offset ?? null,
    versionstamp: entry.versionstamp,
  };
  if (entry.value?.commit !== undefined) state.commit = entry.value.commit;
  return state;
}

/** Lists every journal's cursor. */
export async function listCursors(kv: Deno.Kv, keys: KeyLayout): Promise<CursorInfo[]> {
  const out: CursorInfo[] = [];
  for await (const entry of kv.list<CursorValue>({ prefix: keys.cursors() })) {
    const info: CursorInfo = {
      journalId: String(entry.key[entry.key.length - 1]),
      offset: entry.value.offset,
      updatedAt: entry.value.updatedAt,
    };
    if (entry.value.lag !== undefined) info.lag = entry.value.lag;
    out.push(info);
  }
  return out;
}

/** Lists dead letters of one journal, or of all, in journal and offset order. */
export async function listDeadLetters(
  kv: Deno.Kv,
  keys: KeyLayout,
  journalId: string | undefined,
  limit: number,
): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  const iter = kv.list<DeadLetterValue>({ prefix: keys.deadLetters(journalId) }, { limit });
  for await (const entry of iter) {
    const n = entry.key.length;
    out.push({
      journalId: String(entry.key[n - 2]),
      offset: Number(entry.key[n - 1]),
      reason: entry.value.reason,
      payload: entry.value.payload,
      payloadBytes: entry.value.payloadBytes,
      at: entry.value.at,
    });
  }
  return out;
}

/** Lists a journal's registered consumers. */
export async function listConsumers(
  kv: Deno.Kv,
  keys: KeyLayout,
  journalId: string,
): Promise<ConsumerInfo[]> {
  checkJournalId("list consumers", journalId);
  const out: ConsumerInfo[] = [];
  for await (const entry of kv.list<ConsumerValue>({ prefix: keys.consumers(journalId) })) {
    out.push({
      name: String(entry.key[entry.key.length - 1]),
      offset: entry.value.offset,
      updatedAt: entry.value.updatedAt,
    });
  }
  return out;
}
