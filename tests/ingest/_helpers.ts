/**
 * Helpers shared by the ingestor tests and their child scripts: record
 * builders, a temporary journal + store, the expected KV content of a log,
 * and a Deno.Kv wrapper that counts what successful commits wrote.
 *
 * @module
 */
import { interceptAtomic } from "../support/kv_intercept.ts";
import assert from "node:assert/strict";
import { Journal, type JournalOptions } from "../../src/wal/mod.ts";
import * as cborg from "cborg";
import {
  type Assertion,
  PAYLOAD_HEADER_SIZE,
  serializeAssertion,
  serializeEpoch,
  serializeVote,
} from "../../src/records/mod.ts";
import { KvStore, type Tally } from "../../src/store/mod.ts";
import { openKvFixture, testKvBackend } from "../support/kv_connect/mod.ts";
import {
  assertTallyClose,
  type RefEpoch,
  referenceEpochs,
  referenceTallies,
  type RefVote,
} from "../support/consensus_reference.ts";

/** A valid assertion numbered `i`; `subject` defaults to one of seven. */
export function assertionAt(i: number, extra: Partial<Assertion> = {}): Assertion {
  return {
    subject: `subject-${i % 7}`,
    predicate: "p",
    object: `object-${i}`,
    source: "test",
    confidence: 0.5,
    timestamp: 1_700_000_000_000 + i,
    ...extra,
  };
}

/** Payload of assertion `i`. */
export function assertionPayload(i: number, extra: Partial<Assertion> = {}): Uint8Array {
  return serializeAssertion(assertionAt(i, extra));
}

/** Payload of a vote by `voter` on `assertion`. */
export function votePayload(assertion: string, voter: string, value: number): Uint8Array {
  return serializeVote({ assertion, voter, value, timestamp: 1_700_000_000_000 });
}

/** Payload of an epoch with the given hex id. */
export function epochPayload(id: string): Uint8Array {
  return serializeEpoch({ id, name: `epoch ${id}`, description: "", startTime: 0 });
}

/** Payloads that every ingestor must dead-letter, by kind. */
export function poisonPayloads(): Record<string, Uint8Array> {
  const unknownType = assertionPayload(1);
  unknownType[0] = 9;
  const undecodable = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0x13, 0x00]);
  // A well-formed body whose confidence is out of range.
  const body = cborg.decode(assertionPayload(2).subarray(PAYLOAD_HEADER_SIZE));
  body.c = 2;
  const encoded = cborg.encode(body);
  const invalid = new Uint8Array(PAYLOAD_HEADER_SIZE + encoded.length);
  invalid.set(encoded, PAYLOAD_HEADER_SIZE);
  // Larger than a Deno KV value: the store refuses it whatever its body.
  const tooLarge = new Uint8Array(70_000);
  return { unknownType, undecodable, invalid, tooLarge };
}

/** A view of `store` whose `recordMutations` is `plan` (every other method is the store's). */
export function withPlans(store: KvStore, plan: KvStore["recordMutations"]): KvStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === "recordMutations") return plan;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** A journal and a store in a fresh temporary directory. */
export interface Env {
  dir: string;
  journal: Journal;
  store: KvStore;
  kvPath: string;
  journalDir: string;
  /** Another `Deno.Kv` on the env's KV, closed by the env (after a remote server). */
  openKv(): Promise<Deno.Kv>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Open a journal (`dir/wal`) in a new temp dir and a store on a fresh KV of
 * the suite's back end: `dir/kv.sqlite`, or a KV Connect server when
 * STEMEDB_TEST_KV=remote (then `kvPath` is its URL).
 */
export async function openEnv(journalOptions: JournalOptions = {}): Promise<Env> {
  const dir = await Deno.makeTempDir({ prefix: "stemedb-ingest-" });
  const journalDir = `${dir}/wal`;
  const fixture = await openKvFixture(testKvBackend(), dir);
  const kvPath = fixture.target;
  const journal = await Journal.open(journalDir, journalOptions);
  const store = await KvStore.open(kvPath);
  const kvs: Deno.Kv[] = [];
  return {
    dir,
    journal,
    store,
    kvPath,
    journalDir,
    async openKv() {
      const kv = await Deno.openKv(kvPath);
      kvs.push(kv);
      return kv;
    },
    async [Symbol.asyncDispose]() {
      // The server goes first: Deno 2.9.6's node:http2 can abort the process
      // when a server session receives a client's GOAWAY (denoland/deno#36788).
      await fixture[Symbol.asyncDispose]();
      for (const kv of kvs) kv.close();
      store.close();
      await journal.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Key parts that hold state, not content. */
const NOT_CONTENT = new Set(["_ingest", "_meta", "W", "T"]);

/**
 * Content keys (records and their indexes) of a store, as `JSON key → value`:
 * all but the ingest state (`_ingest`), the layout (`_meta`) and the winners
 * and tallies (`W`, `T`), which `assertAppliedOnce` checks through `tally()`.
 */
export async function contentOf(kv: Deno.Kv): Promise<Map<string, unknown>> {
  return new Map([...(await entriesOf(kv))].map(([k, e]) => [k, e.value]));
}

/** Content entries (as `contentOf` chooses them) of a store, by `keyString`. */
export async function entriesOf(kv: Deno.Kv): Promise<Map<string, Deno.KvEntry<unknown>>> {
  const out = new Map<string, Deno.KvEntry<unknown>>();
  for await (const e of kv.list({ prefix: [] })) {
    if (!NOT_CONTENT.has(e.key[0] as string)) out.set(keyString(e.key), e);
  }
  return out;
}

/** What the store must hold once every record of `journal` was applied once. */
export async function expectedContent(
  journal: Journal,
  store: KvStore,
): Promise<{
  content: Map<string, unknown>;
  order: string[][];
  poison: number[];
  end: number;
  tallies: Map<string, Tally>;
}> {
  const content = new Map<string, unknown>();
  const order: string[][] = [];
  const poison: number[] = [];
  const votes: RefVote[] = [];
  const epochs: (RefEpoch & { key: string; payload: unknown })[] = [];
  let end = journal.firstOffset;
  for await (const rec of journal.readFrom(journal.firstOffset)) {
    const plan = store.recordMutations(rec.payload, rec.digest);
    if (plan.ok) {
      const keys = plan.sets.map((s) => keyString(s.key));
      plan.sets.forEach((s, i) => content.set(keys[i], s.value));
      const r = plan.resolve;
      if (r?.kind === "vote") {
        votes.push({ ...r, timestamp: r.time });
      } else if (r?.kind === "epoch") {
        const key = keyString(r.set.key);
        epochs.push({ id: r.id, startTime: r.time, hash: r.hash, key, payload: r.set.value });
        keys.push(key);
      }
      order.push(keys);
    } else {
      poison.push(rec.offset);
    }
    end = rec.next;
  }
  // Under each epoch id, only the version the rule keeps.
  const kept = referenceEpochs(epochs);
  for (const e of epochs) if (kept.get(e.id) === e.hash) content.set(e.key, e.payload);
  return { content, order, poison, end, tallies: referenceTallies(votes) };
}

/** Assert the store holds exactly the log's content, dead letters and cursor. */
export async function assertAppliedOnce(journal: Journal, store: KvStore): Promise<void> {
  const want = await expectedContent(journal, store);
  const have = await contentOf(store.kv);
  assert.deepEqual(have.size, want.content.size, "content key count");
  assert.deepEqual(have, want.content);
  const dead = (await store.deadLetters(journal.id)).map((d) => d.offset).sort((a, b) => a - b);
  assert.deepEqual(dead, want.poison, "dead letters are exactly the poison records");
  assert.deepEqual(
    (await store.readCursor(journal.id)).offset,
    want.end,
    "cursor is the durable end",
  );
  for (const [assertion, tally] of want.tallies) {
    assertTallyClose(await store.tally(assertion), tally, `the tally of ${assertion}`);
  }
  // In log order: a key written by one record only carries the versionstamp of the
  // commit that applied it, and commits apply records in order, so these never decrease.
  const entries = await entriesOf(store.kv);
  const seen = new Map<string, number>();
  for (const keys of want.order) for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
  let last = "";
  for (const keys of want.order) {
    const stamps = keys.filter((k) => seen.get(k) === 1).map((k) => entries.get(k)!.versionstamp);
    assert.ok(new Set(stamps).size <= 1, "a record's sets were committed together");
    if (stamps.length === 0) continue;
    assert.ok(stamps[0] >= last, "records were applied in log order");
    last = stamps[0];
  }
}

/** A printable, comparable form of a KV key. */
export function keyString(key: Deno.KvKey): string {
  return JSON.stringify(key, (_k, v) => typeof v === "bigint" ? `${v}n` : v);
}

/** Counts, per key, how many successful atomic commits set it. */
export interface CommitLog {
  /** Successful commits. */
  commits: number;
  /** Key (as `keyString`) → times set by a successful commit. */
  sets: Map<string, number>;
}

/**
 * Wrap `kv` so that every successful `atomic().commit()` is logged into
 * `log`; with `replay`, each commit is sent a second time right after the
 * first (a remote commit retried behind the caller's back) and the second
 * result is returned.
 */
export function loggingKv(kv: Deno.Kv, log: CommitLog, replay = false): Deno.Kv {
  const record = (ok: boolean, keys: string[]) => {
    if (!ok) return;
    log.commits++;
    for (const k of keys) log.sets.set(k, (log.sets.get(k) ?? 0) + 1);
  };
  return interceptAtomic<string[]>(kv, {
    start: () => [],
    onCall(keys, method, args) {
      if (method === "set") keys.push(keyString(args[0] as Deno.KvKey));
    },
    async commit(keys, commit) {
      const first = await commit();
      record(first.ok, keys);
      if (!replay) return first;
      const second = await commit();
      record(second.ok, keys);
      return second;
    },
  });
}
