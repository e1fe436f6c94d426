import assert from "node:assert/strict";
import { KvStore, MAX_LIST_BATCH } from "../../src/store/mod.ts";
import {
  assertion,
  assertionPayload,
  epochPayload,
  ingest,
  votePayload,
  withKv,
  withStore,
} from "./_helpers.ts";

Deno.test("getAssertion() returns the stored assertion with its hash, or null", async () => {
  await withStore(async (store) => {
    const a = await assertionPayload({ tags: ["x"], epoch: "0a" });
    await ingest(store, [a]);
    assert.deepEqual(await store.getAssertion(a.hash), {
      hash: a.hash,
      ...assertion({ tags: ["x"], epoch: "0a" }),
    });
    assert.equal(await store.getAssertion("00".repeat(32)), null);
  });
});

Deno.test("queries reject malformed hashes, ids and limits with TypeError or RangeError", async () => {
  await withStore(async (store) => {
    await assert.rejects(() => store.getAssertion("AB".repeat(32)), TypeError);
    await assert.rejects(() => store.getAssertion("ab"), /expected 64 lowercase hex characters/);
    await assert.rejects(() => store.listVotes("xyz"), TypeError);
    await assert.rejects(() => store.tally(""), TypeError);
    await assert.rejects(() => store.getEpoch("a"), TypeError);
    await assert.rejects(() => store.getEpoch("00".repeat(33)), TypeError);
    await assert.rejects(() => store.listSubject(5 as never), TypeError);
    await assert.rejects(() => store.listSubject("s", { limit: 0 }), RangeError);
    await assert.rejects(() => store.listSubject("x".repeat(1722)), RangeError);
    await assert.rejects(() => store.listEpochs({ limit: 1001 }), RangeError);
    await assert.rejects(() => store.listEpochs({ limit: 2.5 }), RangeError);
  });
});

Deno.test("listSubject() pages through a subject's assertions with a cursor", async () => {
  await withStore(async (store) => {
    const mine = await Promise.all(
      Array.from({ length: 25 }, (_, i) => assertionPayload({ subject: "mars", timestamp: i })),
    );
    const other = await assertionPayload({ subject: "marsh" });
    await ingest(store, [...mine, other]);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listSubject("mars", { limit: 10, cursor });
      pages++;
      for (const item of page.items) {
        assert.equal(item.subject, "mars");
        seen.push(item.hash);
      }
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    assert.equal(pages, 3);
    assert.deepEqual(seen, mine.map((m) => m.hash).sort());
  });
});

Deno.test("listSubject() returns no cursor when the page ends exactly at the last item", async () => {
  await withStore(async (store) => {
    const items = await Promise.all(
      [0, 1, 2, 3].map((i) => assertionPayload({ subject: "s", timestamp: i })),
    );
    await ingest(store, items);
    const first = await store.listSubject("s", { limit: 2 });
    assert.equal(first.items.length, 2);
    assert.notEqual(first.cursor, null);
    const second = await store.listSubject("s", { limit: 2, cursor: first.cursor! });
    assert.equal(second.items.length, 2);
    assert.equal(second.cursor, null);
    assert.deepEqual(await store.listSubject("nobody"), { items: [], cursor: null });
  });
});

Deno.test("listSubject() rejects a cursor that is not one of its own with TypeError", async () => {
  await withStore(async (store) => {
    await ingest(store, [await assertionPayload()]);
    await assert.rejects(() => store.listSubject("earth", { cursor: "!!not-a-cursor" }), TypeError);
  });
});

Deno.test("listVotes() pages through an assertion's votes", async () => {
  await withStore(async (store) => {
    const a = await assertionPayload();
    const votes = await Promise.all(
      Array.from({ length: 7 }, (_, i) => votePayload(a.hash, { voter: `v${i}`, value: 0.5 })),
    );
    await ingest(store, [a, ...votes]);
    const first = await store.listVotes(a.hash, { limit: 4 });
    const second = await store.listVotes(a.hash, { limit: 4, cursor: first.cursor! });
    assert.equal(second.cursor, null);
    const all = [...first.items, ...second.items];
    assert.deepEqual(all.map((v) => v.hash), votes.map((v) => v.hash).sort());
    assert.ok(all.every((v) => v.assertion === a.hash && v.value === 0.5));
  });
});

Deno.test("tally() counts each distinct vote once, also when it was appended twice", async () => {
  await withStore(async (store) => {
    const a = await assertionPayload();
    const up = await votePayload(a.hash, { voter: "u", value: 1 });
    const down = await votePayload(a.hash, { voter: "d", value: -0.5 });
    const neutral = await votePayload(a.hash, { voter: "n", value: 0 });
    await ingest(store, [a, up, down, neutral]);
    await ingest(store, [up, up, down]); // the same votes appended again
    assert.deepEqual(await store.tally(a.hash), {
      count: 3,
      voters: 3,
      sum: 0.5,
      mean: 0.5 / 3,
      up: 1,
      down: 1,
      neutral: 1,
    });
  });
});

Deno.test("list queries accept the largest page size, MAX_LIST_BATCH", async () => {
  await withStore(async (store) => {
    const items = await Promise.all(
      Array.from(
        { length: 1_001 },
        (_, i) => epochPayload({ id: i.toString(16).padStart(4, "0") }),
      ),
    );
    for (let i = 0; i < items.length; i += 500) await ingest(store, items.slice(i, i + 500));
    const first = await store.listEpochs({ limit: MAX_LIST_BATCH });
    assert.equal(first.items.length, MAX_LIST_BATCH);
    assert.notEqual(first.cursor, null);
    const rest = await store.listEpochs({ limit: MAX_LIST_BATCH, cursor: first.cursor! });
    assert.deepEqual(rest.items.map((e) => e.id), ["03e8"]);
    assert.equal(rest.cursor, null);
  });
});

Deno.test("tally() of an assertion without votes is all zeros", async () => {
  await withStore(async (store) => {
    assert.deepEqual(await store.tally("ab".repeat(32)), {
      count: 0,
      voters: 0,
      sum: 0,
      mean: 0,
      up: 0,
      down: 0,
      neutral: 0,
    });
  });
});

Deno.test("tally() counts more voters than one list batch", async () => {
  await withStore(async (store) => {
    const a = await assertionPayload();
    const votes = await Promise.all(
      Array.from({ length: 1_300 }, (_, i) => votePayload(a.hash, { voter: `v${i}` })),
    );
    // 200 votes a commit: each vote's two keys (V and VH) stay within the total key size.
    for (let i = 0; i < votes.length; i += 200) await ingest(store, votes.slice(i, i + 200));
    const t = await store.tally(a.hash);
    assert.equal(t.count, 1_300);
    assert.equal(t.up, 1_300);
  });
});

Deno.test("getEpoch() and listEpochs() return epochs with their payload hash", async () => {
  await withStore(async (store) => {
    const e1 = await epochPayload({ id: "01", name: "one" });
    const e2 = await epochPayload({ id: "02", name: "two", parent: "01", endTime: 9 });
    const e3 = await epochPayload({ id: "0301", name: "three" });
    await ingest(store, [e3, e2, e1]);
    assert.deepEqual(await store.getEpoch("02"), {
      hash: e2.hash,
      id: "02",
      name: "two",
      description: "",
      parent: "01",
      startTime: 0,
      endTime: 9,
    });
    assert.equal(await store.getEpoch("04"), null);
    const first = await store.listEpochs({ limit: 2 });
    assert.deepEqual(first.items.map((e) => e.id), ["01", "02"]);
    const rest = await store.listEpochs({ limit: 2, cursor: first.cursor! });
    assert.deepEqual(rest.items.map((e) => [e.id, e.hash]), [["0301", e3.hash]]);
    assert.equal(rest.cursor, null);
  });
});

Deno.test("two prefixes in one KV do not see each other's records or cursors", async () => {
  await withKv(async (kv) => {
    const left = await KvStore.open(kv, { prefix: ["left"] });
    const right = await KvStore.open(kv, { prefix: ["right"] });
    try {
      const a = await assertionPayload({ subject: "shared" });
      const e = await epochPayload();
      await ingest(left, [a, e]);
      assert.ok(await left.getAssertion(a.hash));
      assert.equal(await right.getAssertion(a.hash), null);
      assert.equal((await right.listSubject("shared")).items.length, 0);
      assert.equal((await right.listEpochs()).items.length, 0);
      assert.deepEqual(await right.cursors(), []);
      assert.equal((await left.cursors()).length, 1);
      // An unprefixed store sees neither prefix's records as its own.
      const root = await KvStore.open(kv);
      assert.equal(await root.getAssertion(a.hash), null);
      assert.deepEqual(await root.cursors(), []);
      root.close();
    } finally {
      left.close();
      right.close();
    }
  });
});

Deno.test("KvStore.open() uses an opened Deno.Kv and leaves it open on close()", async () => {
  await withKv(async (kv) => {
    const store = await KvStore.open(kv);
    assert.equal(store.kv, kv);
    store.close();
    store.close();
    await kv.set(["still", "open"], 1);
    assert.equal((await kv.get(["still", "open"])).value, 1);
  });
});

Deno.test("KvStore.open() closes a KV it opened itself and reopens the same data", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/kv.sqlite`;
    const a = await assertionPayload();
    const first = await KvStore.open(path);
    await ingest(first, [a]);
    first.close();
    await assert.rejects(() => first.kv.get(["x"]));
    const second = await KvStore.open(path);
    assert.ok(await second.getAssertion(a.hash));
    second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("KvStore.open() rejects a missing target and an oversized prefix", async () => {
  await assert.rejects(() => KvStore.open(undefined as never), TypeError);
  await assert.rejects(() => KvStore.open(""), TypeError);
  await withKv(async (kv) => {
    await assert.rejects(() => KvStore.open(kv, { prefix: ["p".repeat(300)] }), RangeError);
  });
});
