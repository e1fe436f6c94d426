import assert from "node:assert/strict";
import { fromHex, MAX_PAYLOAD_BYTES, serializeAssertion } from "../../src/records/mod.ts";
import {
  keyBytes,
  KvStore,
  subjectPredicateDigest,
  valueBytes,
  voterDigest,
} from "../../src/store/mod.ts";
import {
  assertion,
  assertionPayload,
  digested,
  epochPayload,
  votePayload,
  withKv,
} from "./_helpers.ts";

async function withMemoryStore(fn: (store: KvStore) => Promise<void>, prefix?: Deno.KvKey) {
  await withKv(async (kv) => {
    const store = await KvStore.open(kv, { prefix });
    try {
      await fn(store);
    } finally {
      store.close();
    }
  });
}

// Content hashes in keys are their 32 bytes (layout 3).
const b = fromHex;

Deno.test("recordMutations() plans an assertion as its payload under H, its subject entry and its index entries", async () => {
  await withMemoryStore(async (store) => {
    const a = await assertionPayload({ subject: "mars" });
    const plan = store.recordMutations(a.payload, a.digest);
    assert.ok(plan.ok);
    assert.equal(plan.type, "assertion");
    assert.equal(plan.hash, a.hash);
    assert.deepEqual(plan.sets.map((s) => [s.key, s.value]), [
      [["t", "H", b(a.hash)], a.payload],
      [["t", "S", "mars", b(a.hash)], new Uint8Array(0)],
      [["t", "SL", "mars"], new Uint8Array(0)],
      [["t", "SP", b(subjectPredicateDigest("mars", "orbits")), b(a.hash)], new Uint8Array(0)],
    ]);
    for (const set of plan.sets) {
      assert.equal(set.keyBytes, keyBytes(set.key));
      assert.equal(set.bytes, 2 * set.keyBytes + valueBytes(set.value));
    }
  }, ["t"]);
});

Deno.test("recordMutations() plans a vote under V, its voter history entry, and its winner under W, assertion then voter", async () => {
  await withMemoryStore(async (store) => {
    const target = "ab".repeat(32);
    const v = await votePayload(target);
    const plan = store.recordMutations(v.payload, v.digest);
    assert.ok(plan.ok);
    assert.deepEqual(plan.sets.map((s) => s.key), [
      ["V", b(target), b(v.hash)],
      ["VH", b(target), b(voterDigest("ann")), 0, b(v.hash)],
    ]);
    assert.equal(plan.sets[0].value, v.payload);
    // The winner key is written at commit time, only if the vote beats the stored winner.
    assert.equal(plan.resolve?.kind, "vote");
    assert.deepEqual(plan.resolve?.set.key, ["W", b(target), "ann"]);
    assert.deepEqual(plan.resolve?.set.value, { t: 0, h: v.hash, v: 1 });
  });
});

Deno.test("recordMutations() keys stay as planned when the caller reuses its digest buffer", async () => {
  await withMemoryStore(async (store) => {
    const v = await votePayload("ab".repeat(32));
    const digest = v.digest.slice();
    const plan = store.recordMutations(v.payload, digest);
    assert.ok(plan.ok);
    digest.fill(0);
    assert.deepEqual(plan.sets[0].key, ["V", b("ab".repeat(32)), b(v.hash)]);
    assert.equal(plan.hash, v.hash);
  });
});

Deno.test("recordMutations() plans an epoch under E and its hex id, resolved at commit", async () => {
  await withMemoryStore(async (store) => {
    const e = await epochPayload({ id: "00ff" });
    const plan = store.recordMutations(e.payload, e.digest);
    assert.ok(plan.ok);
    // The E key is written at commit time, only if this version beats the stored one.
    assert.deepEqual(plan.sets, []);
    assert.equal(plan.resolve?.kind, "epoch");
    assert.deepEqual(plan.resolve?.set.key, ["E", "00ff"]);
    assert.equal(plan.resolve?.set.value, e.payload);
  });
});

Deno.test("recordMutations() reports an unknown record type as poison", async () => {
  await withMemoryStore(async (store) => {
    const a = await assertionPayload();
    a.payload[0] = 7;
    const plan = store.recordMutations(a.payload, a.digest);
    assert.deepEqual(plan, {
      ok: false,
      kind: "unknown-type",
      reason: "unknown-type: unknown record type 7",
    });
  });
});

Deno.test("recordMutations() reports undecodable bytes as poison", async () => {
  await withMemoryStore(async (store) => {
    const d = await digested(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]));
    const plan = store.recordMutations(d.payload, d.digest);
    assert.ok(!plan.ok);
    assert.equal(plan.kind, "undecodable");
    assert.match(plan.reason, /^undecodable: /);
    const short = await digested(new Uint8Array([0, 1]));
    assert.equal(
      (store.recordMutations(short.payload, short.digest) as { kind: string }).kind,
      "undecodable",
    );
  });
});

Deno.test("recordMutations() reports a well-formed but invalid record as poison", async () => {
  await withMemoryStore(async (store) => {
    // Confidence 2: valid CBOR, invalid schema. Built by patching a valid payload's byte.
    const a = await assertionPayload({ confidence: 1 });
    const body = serializeAssertion(assertion({ confidence: 1 }));
    const at = body.findIndex((b, i) => b === 0x61 && body[i + 1] === 0x63 && body[i + 2] === 0x01);
    assert.ok(at > 0);
    a.payload[at + 2] = 0x02;
    const d = await digested(a.payload);
    const plan = store.recordMutations(d.payload, d.digest);
    assert.ok(!plan.ok);
    assert.equal(plan.kind, "invalid");
    assert.match(plan.reason, /field "confidence"/);
  });
});

Deno.test("recordMutations() reports a payload larger than a KV value as poison", async () => {
  await withMemoryStore(async (store) => {
    const d = await digested(new Uint8Array(MAX_PAYLOAD_BYTES + 1));
    const plan = store.recordMutations(d.payload, d.digest);
    assert.ok(!plan.ok);
    assert.equal(plan.kind, "too-large");
  });
});

Deno.test("recordMutations() rejects a digest that is not 32 bytes with TypeError", async () => {
  await withMemoryStore(async (store) => {
    const a = await assertionPayload();
    assert.throws(() => store.recordMutations(a.payload, new Uint8Array(31)), TypeError);
  });
});

Deno.test("recordMutations() plans the same sets for the same payload", async () => {
  await withMemoryStore(async (store) => {
    const a = await assertionPayload();
    assert.deepEqual(
      store.recordMutations(a.payload, a.digest),
      store.recordMutations(a.payload, a.digest),
    );
  });
});
