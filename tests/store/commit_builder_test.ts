import assert from "node:assert/strict";
import {
  CommitBuilder,
  type CommitRecord,
  GUARD_SHARDS,
  MAX_MUTATIONS,
  MAX_VALUE_BYTES,
  TOO_LARGE_REASON,
} from "../../src/store/mod.ts";
import { assertionPayload, withStore } from "./_helpers.ts";

const J1 = "1".repeat(32);

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
