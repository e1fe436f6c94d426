import assert from "node:assert/strict";
import { KvStore } from "../../src/store/mod.ts";
import { assertionPayload, epochPayload, ingest, votePayload, withStore } from "./_helpers.ts";

Deno.test("KvStore.findStored() finds stored assertions, votes and epochs, and not fresh ones", async () => {
  await withStore(async (store) => {
    const a = await assertionPayload();
    const v = await votePayload(a.hash);
    const e = await epochPayload();
    await ingest(store, [a, v, e]);
    const freshA = await assertionPayload({ object: "moon" });
    const freshV = await votePayload(a.hash, { voter: "bob" });
    const freshE = await epochPayload({ id: "0b" });
    assert.deepEqual(
      await store.findStored([a, v, e, freshA, freshV, freshE].map((d) => d.payload)),
      [true, true, true, false, false, false],
    );
  });
});

Deno.test("KvStore.findStored() does not take an epoch redefined under a stored id for a duplicate", async () => {
  await withStore(async (store) => {
    await ingest(store, [await epochPayload({ name: "old" })]);
    const redefined = await epochPayload({ name: "new" });
    assert.deepEqual(await store.findStored([redefined.payload]), [false]);
  });
});

Deno.test("KvStore.findStored() counts a repeat of an earlier payload in the same list", async () => {
  await withStore(async (store) => {
    const a = await assertionPayload();
    const b = await assertionPayload({ object: "moon" });
    assert.deepEqual(await store.findStored([a.payload, b.payload, a.payload, a.payload]), [
      false,
      false,
      true,
      true,
    ]);
  });
});

Deno.test("KvStore.findStored() looks up more keys than one getMany takes", async () => {
  await withStore(async (store) => {
    const items = await Promise.all(
      Array.from({ length: 95 }, (_, i) => assertionPayload({ object: `o${i}` })),
    );
    const stored = items.filter((_, i) => i % 3 === 0);
    await ingest(store, stored);
    const found = await store.findStored(items.map((d) => d.payload));
    assert.deepEqual(found, items.map((_, i) => i % 3 === 0));
  });
});

Deno.test("KvStore.findStored() answers false for a payload the ingestor would dead-letter", async () => {
  await withStore(async (store) => {
    assert.deepEqual(await store.findStored([new Uint8Array([0xff, 0, 1])]), [false]);
  });
});

Deno.test("KvStore.findStored() looks under the store's prefix", async () => {
  await withStore(async (store, path) => {
    const a = await assertionPayload();
    await ingest(store, [a]);
    assert.deepEqual(await store.findStored([a.payload]), [true]);
    const unprefixed = await KvStore.open(path);
    try {
      assert.deepEqual(await unprefixed.findStored([a.payload]), [false]);
    } finally {
      unprefixed.close();
    }
  }, { prefix: ["tenant"] });
});
