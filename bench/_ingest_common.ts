/**
 * Helpers shared by the ingest benchmarks: prepared journals, the synthetic
 * and corpus payloads, and the peer every ingest path is bounded by (the same
 * KV sets written straight into a fresh Deno KV, as many per commit as Deno
 * KV's limits allow).
 *
 * @module
 */
import { interceptAtomic } from "../tests/support/kv_intercept.ts";
import { Journal } from "../src/wal/mod.ts";
import { serializeAssertion, serializeRecord, toHex } from "../src/records/mod.ts";
import { keyBytes, valueBytes } from "../src/store/mod.ts";
import {
  type KvSet,
  KvStore,
  MAX_COMMIT_BYTES,
  MAX_MUTATIONS,
  MAX_TOTAL_KEY_BYTES,
} from "../src/store/mod.ts";
import { corpus } from "./_corpus.ts";

/** A synthetic assertion payload: short fixed-shape strings, 1,000 subjects. */
export function payloadOf(i: number, object: string = `object-${i}`): Uint8Array {
  return serializeAssertion({
    subject: `subject-${i % 1000}`,
    predicate: "benchmarks",
    object,
    source: "ingest_bench",
    confidence: 0.75,
    timestamp: 1_700_000_000_000 + i,
  });
}

/** The first `n` records of the realistic corpus (`bench/_corpus.ts`), serialized. */
export function corpusPayloads(n: number, seed = 1): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const record of corpus({ subjects: n, seed })) {
    if (out.length === n) break;
    out.push(serializeRecord(record));
  }
  return out;
}

/** `n` records per second over `ms`, as printed. */
export function rate(n: number, ms: number): string {
  return `${Math.round(n / (ms / 1000)).toLocaleString("en-US")} records/s`;
}

/** Fill `dir` with `n` records from `make`, fast (durability "none": the bench times reading). */
export async function prepareJournal(
  dir: string,
  n: number,
  make: (i: number) => Uint8Array,
  batch = 1000,
): Promise<void> {
  const journal = await Journal.open(dir, { durability: "none" });
  for (let i = 0; i < n; i += batch) {
    await journal.appendBatch(
      Array.from({ length: Math.min(batch, n - i) }, (_, j) => make(i + j)),
    );
  }
  await journal.close();
}

/** The sets the store plans for every record of `journal`, planned untimed. */
export async function plannedSets(journal: Journal): Promise<KvSet[]> {
  const planner = await KvStore.open(":memory:");
  const sets: KvSet[] = [];
  try {
    for await (const rec of journal.readFrom(journal.firstOffset)) {
      const plan = planner.recordMutations(rec.payload, rec.digest);
      if (plan.ok) sets.push(...plan.sets);
    }
  } finally {
    planner.close();
  }
  return sets;
}

/**
 * The peer: `sets` written straight into `kv` in atomic commits packed
 * greedily up to Deno KV's limits (1,000 mutations, 800 KiB of mutations,
 * 80 KiB of keys), with no cursor, no checks and no margin. Returns the
 * number of commits.
 */
export async function writeStraight(kv: Deno.Kv, sets: readonly KvSet[]): Promise<number> {
  let commits = 0;
  let i = 0;
  while (i < sets.length) {
    const op = kv.atomic();
    let bytes = 0;
    let keyBytes = 0;
    let count = 0;
    for (; i < sets.length && count < MAX_MUTATIONS; i++, count++) {
      const s = sets[i];
      if (bytes + s.bytes > MAX_COMMIT_BYTES || keyBytes + s.keyBytes > MAX_TOTAL_KEY_BYTES) break;
      op.set(s.key, s.value);
      bytes += s.bytes;
      keyBytes += s.keyBytes;
    }
    if (!(await op.commit()).ok) throw new Error("Cannot write straight into KV: commit failed");
    commits++;
  }
  return commits;
}

/** One mutation of a recorded commit. */
export type RecordedOp =
  | { kind: "set"; key: Deno.KvKey; value: unknown }
  | { kind: "sum"; key: Deno.KvKey; value: Deno.KvU64 };

/**
 * A view of `kv` that records the mutations of every successful commit,
 * commit by commit, into `out`: what the ingestor committed, for the peer
 * that writes the very same mutations straight into Deno KV (`replayCommits`).
 */
export function recordingKv(kv: Deno.Kv, out: RecordedOp[][]): Deno.Kv {
  return interceptAtomic<RecordedOp[]>(kv, {
    start: () => [],
    onCall(ops, method, args) {
      if (method === "set") ops.push({ kind: "set", key: args[0] as Deno.KvKey, value: args[1] });
      if (method === "mutate") {
        const m = args[0] as Deno.KvMutation & { value: Deno.KvU64 };
        ops.push({ kind: "sum", key: m.key, value: m.value });
      }
    },
    async commit(ops, commit) {
      const r = await commit();
      if (r.ok) out.push(ops);
      return r;
    },
  });
}

/** One `getMany` of an ingest run, and how many commits had been sent when it was issued. */
export interface RecordedRead {
  /** Commits sent before it: it is one of the reads of commit number `sent` (from 0). */
  sent: number;
  /** The keys it read. */
  keys: Deno.KvKey[];
}

/**
 * A view of `kv` that records every `getMany` call into `out`, with the
 * number of commits sent before it: the reads an ingest run issued and where
 * in the run it issued them, for `replayCommits`' bound.
 */
export function readRecordingKv(kv: Deno.Kv, out: RecordedRead[]): Deno.Kv {
  let sent = 0;
  const counted = interceptAtomic<null>(kv, {
    start: () => null,
    commit(_, commit) {
      sent++;
      return commit();
    },
  });
  return new Proxy(counted, {
    get(target, prop) {
      if (prop === "getMany") {
        return (keys: Deno.KvKey[], options?: { consistency?: Deno.KvConsistencyLevel }) => {
          out.push({ sent, keys });
          return target.getMany(keys, options);
        };
      }
      return Reflect.get(target, prop, target);
    },
  });
}

function commitOf(kv: Deno.Kv, group: readonly RecordedOp[]): Promise<void> {
  const op = kv.atomic();
  for (const o of group) {
    if (o.kind === "set") op.set(o.key, o.value);
    else op.mutate({ type: "sum", key: o.key, value: o.value });
  }
  return op.commit().then((r) => {
    if (!r.ok) throw new Error("Cannot write peer commit: it failed");
  });
}

/**
 * The peer of an ingest run: the recorded commits written straight into
 * `kv`, commit for commit, with no checks; with no reads, or with `reads`
 * (`readRecordingKv`) issued as the ingestor must issue them: the reads of
 * commit i+1 all at once as soon as commit i is sent (while it is in
 * flight), and commit i+1 sent once both commit i and those reads are done.
 * With reads it bounds what any ingestor that reads those winners can reach.
 */
export async function replayCommits(
  kv: Deno.Kv,
  commits: readonly RecordedOp[][],
  reads: readonly RecordedRead[] = [],
): Promise<void> {
  let next = 0;
  const issue = (sent: number) => {
    const pending: Promise<unknown>[] = [];
    for (; next < reads.length && reads[next].sent <= sent; next++) {
      pending.push(kv.getMany(reads[next].keys, { consistency: "strong" }));
    }
    return Promise.all(pending);
  };
  let inflight: Promise<unknown> = Promise.resolve();
  let pending: Promise<unknown> = issue(0);
  for (let i = 0; i < commits.length; i++) {
    await Promise.all([inflight, pending]);
    inflight = commitOf(kv, commits[i]);
    pending = issue(i + 1);
  }
  await Promise.all([inflight, pending]);
}

/**
 * The same sets as layout 2 wrote them, to measure what layout 3 saves:
 * every 32-byte hash part in a key as 64 hex characters, and the subject
 * index entries (`S`) with the hash as their value instead of an empty one.
 */
export function hexLayout(sets: readonly KvSet[]): KvSet[] {
  return sets.map((s) => {
    const key = s.key.map((part) =>
      part instanceof Uint8Array && part.length === 32 ? toHex(part) : part
    );
    // The bench's stores have no prefix: a subject entry's key starts with "S".
    const value = key[0] === "S" ? String(key.at(-1)) : s.value;
    const k = keyBytes(key);
    return { key, value, keyBytes: k, bytes: 2 * k + valueBytes(value) };
  });
}

/** Runs `task(i)` for i in [0, n) with `inFlight` at a time. */
export async function pooled(
  n: number,
  inFlight: number,
  task: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < n) await task(next++);
  }));
}

/** Resolves once `check` does, polling every millisecond. */
export async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 1));
}
