// Shared fixtures for store tests: a real Deno KV on a temp SQLite file, or
// behind a KV Connect server when STEMEDB_TEST_KV=remote (`deno task test:remote`).

import {
  type Assertion,
  contentHash,
  type Epoch,
  fromHex,
  serializeAssertion,
  serializeEpoch,
  serializeVote,
  type Vote,
} from "../../src/records/mod.ts";
import { CommitBuilder, KvStore, type KvStoreOptions } from "../../src/store/mod.ts";
import { type KvBackend, openKvFixture, testKvBackend } from "../support/kv_connect/mod.ts";

/** Runs `fn` with a store on a fresh KV of the suite's back end, then closes and removes it. */
export async function withStore(
  fn: (store: KvStore, path: string) => Promise<void>,
  options?: KvStoreOptions,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stemedb-store-" });
  const fixture = await openKvFixture(testKvBackend(), dir);
  const store = await KvStore.open(fixture.target, options);
  try {
    await fn(store, fixture.target);
  } finally {
    // The server goes first: Deno 2.9.6's node:http2 can abort the process
    // when a server session receives a client's GOAWAY (denoland/deno#36788).
    await fixture[Symbol.asyncDispose]();
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `fn` with a raw Deno KV on a fresh KV of the suite's back end, or of `backend`. */
export async function withKv(
  fn: (kv: Deno.Kv) => Promise<void>,
  backend: KvBackend = testKvBackend(),
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stemedb-kv-" });
  const fixture = await openKvFixture(backend, dir);
  const kv = await Deno.openKv(fixture.target);
  try {
    await fn(kv);
  } finally {
    await fixture[Symbol.asyncDispose](); // first: see withStore
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Payload plus the digest the journal would store for it. */
export interface Digested {
  payload: Uint8Array;
  digest: Uint8Array;
  hash: string;
}

/** Computes the digest of a payload, as the journal does. */
export async function digested(payload: Uint8Array): Promise<Digested> {
  const hash = await contentHash(payload);
  return { payload, digest: fromHex(hash), hash };
}

/** An assertion with defaults. */
export function assertion(patch: Partial<Assertion> = {}): Assertion {
  return {
    subject: "earth",
    predicate: "orbits",
    object: "sun",
    source: "kepler",
    confidence: 1,
    timestamp: 0,
    ...patch,
  };
}

/** Serialized, digested assertion. */
export function assertionPayload(patch: Partial<Assertion> = {}): Promise<Digested> {
  return digested(serializeAssertion(assertion(patch)));
}

/** Serialized, digested vote. */
export function votePayload(assertionHash: string, patch: Partial<Vote> = {}): Promise<Digested> {
  return digested(
    serializeVote({ assertion: assertionHash, voter: "ann", value: 1, timestamp: 0, ...patch }),
  );
}

/** Serialized, digested epoch. */
export function epochPayload(patch: Partial<Epoch> = {}): Promise<Digested> {
  return digested(serializeEpoch({ id: "0a", name: "e", description: "", startTime: 0, ...patch }));
}

/** Options of `ingest()`. */
export interface IngestOptions {
  /** Journal the payloads come from. @default {"j".repeat(32)} */
  journalId?: string;
  /** Most records per commit. @default {Infinity} */
  maxRecords?: number;
}

/**
 * Applies payloads through the store's commit builder, as the ingestor would:
 * each payload is one journal position (offset = cursor + index).
 */
export async function ingest(
  store: KvStore,
  items: Digested[],
  options: IngestOptions = {},
): Promise<void> {
  const { journalId = "j".repeat(32), maxRecords } = options;
  const builder = new CommitBuilder(store, { journalId, maxRecords });
  const cursor = await store.readCursor(journalId);
  let versionstamp = cursor.versionstamp;
  let at = cursor.offset ?? 0;
  const commit = async () => {
    const planned = builder.take();
    if (planned === null) return;
    const result = await builder.commit(planned, { expect: versionstamp });
    if (!result.ok) throw new Error("Unexpected cursor conflict");
    versionstamp = result.versionstamp!;
  };
  for (const { payload, digest } of items) {
    const plan = store.recordMutations(payload, digest);
    if (!plan.ok) throw new Error(`Unexpected poison: ${plan.reason}`);
    const record = { offset: at, next: at + 1, payload, digest };
    at++;
    if (builder.add(record)) continue;
    await commit();
    builder.add(record);
  }
  await commit();
}
