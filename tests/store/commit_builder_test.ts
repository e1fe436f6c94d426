import assert from "node:assert/strict";
import {
  CommitBuilder,
  type CommitRecord,
  GUARD_SHARDS,
  KvStore,
  MAX_MUTATIONS,
  MAX_VALUE_BYTES,
  TOO_LARGE_REASON,
} from "../../src/store/mod.ts";
import { WINNER_PART } from "../../src/store/keys.ts";
import { holdReads } from "../support/kv_intercept.ts";
import { assertionPayload, ingest, votePayload, withStore } from "./_helpers.ts";

const J1 = "1".repeat(32);
const A = "ab".repeat(32);

/** Records at consecutive offsets, as a journal would hand them out. */
async function records(count: number, subject = "earth"): Promise<CommitRecord[]> {
  const out: CommitRecord[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const { payload, digest } = await assertionPayload({ subject, object: `o${i}` });
    const next = offset + 40 + payload.length;
    out.push({ offset, next, payload, digest });
    offset = next;
  }
  return out;
}

Deno.test("CommitBuilder packs records into one commit that applies them and moves the cursor and consumer", async () => {
  await withStore(async (store) => {
    const builder = new CommitBuilder(store, { journalId: J1, consumer: "ingestor" });
    const recs = await records(3);
    for (const r of recs) assert.equal(builder.add(r), true);
    assert.equal(builder.records, 3);
    const planned = builder.take()!;
    assert.deepEqual([planned.applied, planned.deadLettered, planned.end], [3, 0, recs[2].next]);
    assert.equal(builder.take(), null, "take() starts over empty");
    const result = await builder.commit(planned, { expect: null, lagBytes: 7 });
    assert.equal(result.ok, true);
    assert.equal((await store.listSubject("earth")).items.length, 3);
    const [cursor] = await store.cursors();
    assert.deepEqual([cursor.offset, cursor.lag?.bytes], [recs[2].next, 7]);
    assert.deepEqual((await store.consumers(J1)).map((c) => c.offset), [recs[2].next]);
  });
});

Deno.test("CommitBuilder caps a commit at maxRecords and takes a refused record after take()", async () => {
  await withStore(async (store) => {
    const builder = new CommitBuilder(store, { journalId: J1, maxRecords: 2 });
    const recs = await records(3);
    assert.equal(builder.add(recs[0]), true);
    assert.equal(builder.add(recs[1]), true);
    assert.equal(builder.add(recs[2]), false, "a third record does not fit");
    assert.equal(builder.take()!.end, recs[1].next);
    assert.equal(builder.add(recs[2]), true, "the refused record fits the empty commit");
    assert.equal(builder.take()!.end, recs[2].next);
  });
});

Deno.test("CommitBuilder never packs more mutations than one commit takes", async () => {
  await withStore(async (store) => {
    const builder = new CommitBuilder(store, { journalId: J1 });
    const recs = await records(MAX_MUTATIONS);
    let refusedAt = -1;
    for (const [i, r] of recs.entries()) {
      if (!builder.add(r)) {
        refusedAt = i;
        break;
      }
    }
    // Four sets a record (H, S and the SL and SP indexes), beside the cursor and layout
    // sets and the guard sets held back.
    assert.equal(refusedAt, Math.floor((MAX_MUTATIONS - 2 - GUARD_SHARDS) / 4));
    assert.equal((await builder.commit(builder.take()!, { expect: null })).ok, true);
  });
});

Deno.test("CommitBuilder dead-letters a poison record with its kind, keeping its payload", async () => {
  await withStore(async (store) => {
    const builder = new CommitBuilder(store, { journalId: J1 });
    const payload = new Uint8Array(MAX_VALUE_BYTES + 1);
    assert.equal(builder.add({ offset: 0, next: 100, payload, digest: new Uint8Array(32) }), true);
    const planned = builder.take()!;
    assert.deepEqual([planned.applied, planned.deadLettered], [0, 1]);
    assert.match(planned.deadLetters[0].reason, /^too-large: payload is/);
    assert.equal((await builder.commit(planned, { expect: null })).ok, true);
    const [letter] = await store.deadLetters(J1);
    assert.equal(letter.offset, 0);
    assert.equal(letter.payloadBytes ?? letter.payload.byteLength, MAX_VALUE_BYTES + 1);
  });
});

Deno.test("CommitBuilder dead-letters a record whose sets cannot fit an empty commit as too large for KV", async () => {
  await withStore(async (store) => {
    const [rec] = await records(1);
    const plan = store.recordMutations(rec.payload, rec.digest);
    assert.ok(plan.ok);
    const sets = Array.from({ length: MAX_MUTATIONS }, (_, i) => ({
      ...plan.sets[0],
      key: ["H", `${plan.hash}${i}`],
    }));
    // The store, planning more sets for this record than one commit holds.
    const huge = new Proxy(store, {
      get(target, prop) {
        if (prop === "recordMutations") return () => ({ ...plan, sets });
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const builder = new CommitBuilder(huge, { journalId: J1 });
    assert.equal(builder.add(rec), true);
    const planned = builder.take()!;
    assert.deepEqual([planned.applied, planned.deadLettered], [0, 1]);
    assert.ok(planned.deadLetters[0].reason.startsWith(`${TOO_LARGE_REASON}: 1000 mutations`));
  });
});

Deno.test("CommitBuilder.commit() applies nothing when the cursor's versionstamp moved", async () => {
  await withStore(async (store) => {
    const builder = new CommitBuilder(store, { journalId: J1 });
    const [first, second] = await records(2);
    builder.add(first);
    assert.equal((await builder.commit(builder.take()!, { expect: null })).ok, true);
    builder.add(second);
    const result = await builder.commit(builder.take()!, { expect: null });
    assert.deepEqual(result, { ok: false });
    assert.equal((await store.listSubject("earth")).items.length, 1);
    assert.equal((await store.readCursor(J1)).offset, first.next);
  });
});

/** A `getMany` of winner keys. */
const isWinnerRead = (keys: Deno.KvKey[]) => keys.some((k) => k.includes(WINNER_PART));

/** Whether `promise` has settled after the tasks queued so far have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => done = true, () => done = true);
  await new Promise((resolve) => setTimeout(resolve, 10));
  return done;
}

/**
 * A store on `path` that already holds a winner on `A`, so a builder must read
 * the winners of `A` it does not know.
 */
async function seededStore(path: string): Promise<void> {
  const seeder = await KvStore.open(path);
  try {
    await ingest(seeder, [await votePayload(A, { voter: "seed", value: -1, timestamp: 0 })], {
      journalId: "2".repeat(32),
    });
  } finally {
    seeder.close();
  }
}

/** One vote on `A` by `voter`, as a journal record. */
async function voteRecord(voter: string, offset: number): Promise<CommitRecord> {
  const { payload, digest } = await votePayload(A, { voter, value: 1, timestamp: 1 });
  return { offset, next: offset + 1, payload, digest };
}

Deno.test("CommitBuilder.whenRead() resolves once the winners a commit resolves against are read", async () => {
  await withStore(async (_, path) => {
    await seededStore(path);
    const kv = await Deno.openKv(path);
    const held = holdReads(kv, isWinnerRead);
    const store = await KvStore.open(held.view);
    try {
      const builder = new CommitBuilder(store, { journalId: J1 });
      assert.ok(builder.add(await voteRecord("ann", 0)));
      const planned = builder.take()!;
      const read = builder.whenRead(planned);
      assert.equal(await settled(read), false, "the winner read is held");
      held.release();
      await read;
      assert.equal(held.reads, 1);
      assert.ok((await builder.commit(planned, { expect: null })).ok);
      assert.equal(held.reads, 1, "commit() resolves against what was read");
      assert.equal((await store.tally(A)).up, 1);
    } finally {
      store.close();
      kv.close();
    }
  });
});

Deno.test("CommitBuilder.commit() of a commit that resolves nothing reads no guard, even on a new store", async () => {
  await withStore(async (_, path) => {
    const kv = await Deno.openKv(path);
    // Every guard read is held: a commit that made one would not settle.
    const held = holdReads(kv, (keys) => keys.some((k) => k.includes("guard")));
    const store = await KvStore.open(held.view);
    try {
      const builder = new CommitBuilder(store, { journalId: J1 });
      for (const r of await records(2)) builder.add(r);
      const commit = builder.commit(builder.take()!, { expect: null });
      assert.equal(await settled(commit), true, "the commit waited for a read");
      assert.ok((await commit).ok);
      assert.equal(held.reads, 0);
      assert.equal((await store.listSubject("earth")).items.length, 2);
    } finally {
      held.release();
      store.close();
      kv.close();
    }
  });
});

Deno.test("CommitBuilder.whenRead() of a commit that resolves nothing resolves at once", async () => {
  await withStore(async (store) => {
    const builder = new CommitBuilder(store, { journalId: J1 });
    for (const r of await records(2)) builder.add(r);
    const planned = builder.take()!;
    assert.equal(await settled(builder.whenRead(planned)), true);
    assert.ok((await builder.commit(planned, { expect: null })).ok);
  });
});

Deno.test("CommitBuilder.whenRead() resolves when the read fails, and commit() reads again", async () => {
  await withStore(async (_, path) => {
    await seededStore(path);
    const kv = await Deno.openKv(path);
    const held = holdReads(kv, isWinnerRead);
    held.release();
    const store = await KvStore.open(held.view);
    try {
      const builder = new CommitBuilder(store, { journalId: J1 });
      assert.ok(builder.add(await voteRecord("ann", 0)));
      held.failNext();
      const planned = builder.take()!;
      await builder.whenRead(planned);
      assert.equal(held.reads, 1, "the prefetch was tried and failed");
      assert.ok((await builder.commit(planned, { expect: null })).ok);
      assert.equal(held.reads, 2, "commit() read the winner again");
      assert.equal((await store.tally(A)).count, 2, "the seed's vote and ann's");
    } finally {
      store.close();
      kv.close();
    }
  });
});
