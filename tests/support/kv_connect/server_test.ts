import assert from "node:assert/strict";
import {
  DEFAULT_TOKEN,
  MIN_METADATA_TTL_MS,
  openRemoteKv,
  startKvConnectServer,
  waitFor,
} from "./mod.ts";

Deno.test("KV Connect server round-trips every value type the store keeps through Deno's remote client", async () => {
  await using server = await startKvConnectServer();
  const kv = await openRemoteKv(server);
  try {
    const values: [Deno.KvKey, unknown][] = [
      [["bytes"], new Uint8Array([0, 1, 255])],
      [["string"], "héllo ☀"],
      [["number"], -12.5],
      [["bigint"], -(2n ** 70n)],
      [["u64"], new Deno.KvU64(2n ** 64n - 1n)],
      [["object"], { a: [1, "two", 3n], nested: { bytes: new Uint8Array([7]), at: new Date(5) } }],
      [["null"], null],
      [["boolean"], false],
    ];
    for (const [key, value] of values) {
      const result = await kv.set(key, value);
      assert.equal(result.ok, true);
      const remote = await kv.get(key);
      const backing = await server.kv.get(key);
      assert.deepEqual(remote.value, value, `remote read of ${String(key)}`);
      assert.deepEqual(backing.value, value, `backing read of ${String(key)}`);
      assert.equal(remote.versionstamp, result.versionstamp);
      assert.equal(backing.versionstamp, result.versionstamp);
    }
  } finally {
    kv.close();
  }
});

Deno.test("KV Connect server encodes every key part type as the backing KV orders it", async () => {
  await using server = await startKvConnectServer();
  const kv = await openRemoteKv(server);
  try {
    const parts: Deno.KvKeyPart[] = [
      new Uint8Array([0]),
      new Uint8Array([0, 0xff]),
      "",
      "a\0b",
      -Infinity,
      -1.5,
      0,
      2 ** 60,
      -(2n ** 80n),
      -1n,
      0n,
      255n,
      2n ** 70n,
      false,
      true,
    ];
    for (const part of parts) await kv.set(["k", part], String(part));
    const remote = (await Array.fromAsync(kv.list({ prefix: ["k"] }))).map((e) => e.key);
    const backing = (await Array.fromAsync(server.kv.list({ prefix: ["k"] }))).map((e) => e.key);
    assert.deepEqual(remote, backing);
    assert.equal(remote.length, parts.length);
  } finally {
    kv.close();
  }
});

Deno.test("KV Connect server lists by prefix, range, limit and in reverse as the backing KV does", async () => {
  await using server = await startKvConnectServer();
  const kv = await openRemoteKv(server);
  try {
    const seed = server.kv.atomic();
    seed.set(["p"], "the prefix itself");
    for (let i = 0; i < 30; i++) seed.set(["p", i], i).set(["p", i, "child"], -i);
    seed.set(["q"], "after");
    await seed.commit();
    const selectors: Deno.KvListSelector[] = [
      { prefix: ["p"] },
      { prefix: ["p"], start: ["p", 10] },
      { prefix: ["p"], end: ["p", 20] },
      { start: ["p", 3], end: ["p", 7, "child"] },
      { start: ["p"], end: ["q"] },
      { prefix: [] },
    ];
    for (const selector of selectors) {
      for (
        const options of [{}, { limit: 7 }, { reverse: true }, { reverse: true, limit: 5 }, {
          batchSize: 3,
        }]
      ) {
        const remote = await Array.fromAsync(kv.list(selector, options));
        const backing = await Array.fromAsync(server.kv.list(selector, options));
        assert.deepEqual(remote, backing, `${JSON.stringify(selector)} ${JSON.stringify(options)}`);
      }
    }
  } finally {
    kv.close();
  }
});

Deno.test("KV Connect server reads getMany from one snapshot, missing keys as null", async () => {
  await using server = await startKvConnectServer();
  const kv = await openRemoteKv(server);
  try {
    await server.kv.set(["a"], 1);
    const [a, missing] = await kv.getMany([["a"], ["missing"]]);
    assert.equal(a.value, 1);
    assert.deepEqual(missing, { key: ["missing"], value: null, versionstamp: null });
  } finally {
    kv.close();
  }
});

Deno.test("KV Connect server applies an atomic write whose versionstamp checks pass", async () => {
  await using server = await startKvConnectServer();
  const kv = await openRemoteKv(server);
  try {
    const first = await kv.set(["doc"], "v1");
    const result = await kv.atomic()
      .check({ key: ["doc"], versionstamp: first.versionstamp })
      .check({ key: ["new"], versionstamp: null })
      .set(["doc"], "v2")
      .set(["new"], "created")
      .commit();
    assert.equal(result.ok, true);
    assert.equal((await server.kv.get(["doc"])).value, "v2");
    assert.equal((await server.kv.get(["new"])).versionstamp, result.ok && result.versionstamp);
    assert.equal(server.stats.appliedWrites, 2);
  } finally {
    kv.close();
  }
});

Deno.test("KV Connect server rejects an atomic write whose versionstamp check fails, applying nothing", async () => {
  await using server = await startKvConnectServer();
  const kv = await openRemoteKv(server);
  try {
    const first = await kv.set(["doc"], "v1");
    await server.kv.set(["doc"], "changed behind the client's back");
    const result = await kv.atomic()
      .check({ key: ["doc"], versionstamp: first.versionstamp })
      .set(["doc"], "v2")
      .set(["other"], "never")
      .commit();
    assert.equal(result.ok, false);
    assert.equal((await server.kv.get(["doc"])).value, "changed behind the client's back");
    assert.equal((await server.kv.get(["other"])).versionstamp, null);
    assert.equal(server.stats.checkFailures, 1);
    const absent = await kv.atomic().check({ key: ["doc"], versionstamp: null }).set(["x"], 1)
      .commit();
    assert.equal(absent.ok, false);
  } finally {
    kv.close();
  }
});

Deno.test("KV Connect server applies sum, min, max and delete on Deno.KvU64 values", async () => {
  await using server = await startKvConnectServer();
  const kv = await openRemoteKv(server);
  try {
    await kv.set(["n"], new Deno.KvU64(10n));
    await kv.set(["gone"], "x");
    const result = await kv.atomic()
      .sum(["n"], 5n)
      .sum(["fresh"], 3n)
      .min(["lo"], 4n)
      .max(["hi"], 9n)
      .delete(["gone"])
      .commit();
    assert.equal(result.ok, true);
    assert.deepEqual((await kv.get(["n"])).value, new Deno.KvU64(15n));
    assert.deepEqual((await kv.get(["fresh"])).value, new Deno.KvU64(3n));
    await kv.atomic().min(["lo"], 2n).max(["hi"], 1n).sum(["n"], 2n ** 64n - 1n).commit();
    assert.deepEqual((await server.kv.get(["lo"])).value, new Deno.KvU64(2n));
    assert.deepEqual((await server.kv.get(["hi"])).value, new Deno.KvU64(9n));
    assert.deepEqual((await server.kv.get(["n"])).value, new Deno.KvU64(14n), "sum wraps mod 2^64");
    assert.equal((await server.kv.get(["gone"])).versionstamp, null);
  } finally {
    kv.close();
  }
});

// Only the sum: Deno 2.9.6's local KV keeps the earlier mutations of an
// atomic whose sum fails (checked on a bare `:memory:` KV), and the server
// passes on what its backing KV does.
Deno.test("KV Connect server answers 400 to a sum on a non-u64 value", async () => {
  await using server = await startKvConnectServer();
  const kv = await openRemoteKv(server);
  try {
    await kv.set(["text"], "not a number");
    await assert.rejects(kv.atomic().sum(["text"], 1n).commit(), /status=400/);
    assert.equal((await server.kv.get(["text"])).value, "not a number");
    assert.equal(server.stats.badRequests, 1);
  } finally {
    kv.close();
  }
});

Deno.test("Deno's remote client refuses enqueue itself, before the server sees it", async () => {
  await using server = await startKvConnectServer();
  const kv = await openRemoteKv(server);
  try {
    await assert.rejects(
      kv.atomic().set(["a"], 1).enqueue("job").commit(),
      /Enqueue operations are not supported in KV Connect/,
    );
    assert.equal(server.stats.requests.atomic_write, 0);
  } finally {
    kv.close();
  }
});

Deno.test("KV Connect server refuses a wrong access token with 401 at open", async () => {
  // The server expects another token than the one every test puts in the
  // (process-wide) environment, so that no other test module sees a wrong one.
  await using server = await startKvConnectServer({ token: "only-this-server" });
  await assert.rejects(
    openRemoteKv({ url: server.url, token: DEFAULT_TOKEN }),
    TypeError,
    "401 Unauthorized",
  );
  assert.equal(server.stats.faults.unauthorized, 1);
});

Deno.test("startKvConnectServer() refuses a metadata lifetime Deno's client would refetch in a loop", async () => {
  await assert.rejects(
    startKvConnectServer({ metadataTtlMs: MIN_METADATA_TTL_MS - 1 }),
    RangeError,
    "metadataTtlMs",
  );
});

Deno.test("A failing metadata refresh leaves Deno's client on its cached metadata while it lasts", async () => {
  await using server = await startKvConnectServer({ metadataTtlMs: MIN_METADATA_TTL_MS });
  const kv = await openRemoteKv(server);
  try {
    await kv.set(["k"], "v");
    server.setFaults({ error5xx: { on: ["metadata"] } });
    await waitFor("a refused refresh", () => server.stats.faults.error5xx >= 1, 15_000);
    assert.equal((await kv.get(["k"])).value, "v");
    assert.equal((await kv.set(["k"], "w")).ok, true);
  } finally {
    server.setFaults({});
    kv.close();
  }
});
