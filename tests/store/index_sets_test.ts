import assert from "node:assert/strict";
import { decodeRecord } from "../../src/records/mod.ts";
import { indexSets, KeyLayout, KvStore } from "../../src/store/mod.ts";
import { assertionPayload, epochPayload, votePayload } from "./_helpers.ts";

Deno.test("indexSets() of a stored record gives exactly the index sets its ingest plan writes", async () => {
  const prefix = ["tenant"];
  const store = await KvStore.open(":memory:", { prefix });
  try {
    const target = await assertionPayload();
    const records = [
      target,
      await assertionPayload({ object: { ref: target.hash }, epoch: "0a" }),
      await votePayload(target.hash, { timestamp: 5 }),
      await epochPayload(),
    ];
    for (const { payload, digest, hash } of records) {
      const plan = store.recordMutations(payload, digest);
      assert.ok(plan.ok);
      const index = indexSets(new KeyLayout(prefix), { record: decodeRecord(payload), hash });
      const own = plan.type === "assertion" ? 2 : 1; // the payload key (and the subject entry)
      assert.deepEqual(index, plan.sets.slice(own), plan.type);
    }
  } finally {
    store.close();
  }
});

Deno.test("indexSets() writes empty values, so an index entry costs only its key", async () => {
  const a = await assertionPayload({ epoch: "0a", object: { ref: "ab".repeat(32) } });
  const sets = indexSets(new KeyLayout(), { record: decodeRecord(a.payload), hash: a.hash });
  assert.deepEqual(sets.map((s) => s.key[0]), ["SL", "SP", "R", "EA"]);
  for (const set of sets) {
    assert.deepEqual(set.value, new Uint8Array(0));
    assert.equal(set.bytes, 2 * set.keyBytes);
  }
});
