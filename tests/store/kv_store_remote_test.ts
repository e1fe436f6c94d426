// KvStore against a remote KV that fails: the KV Connect test server, Deno's
// own remote client. Retried faults make the client log "KV Connect failed to
// call ..." lines to stderr: that noise is the client's, not a test failure.
import assert from "node:assert/strict";
import {
  DEFAULT_KV_TIMEOUT_MS,
  KvAuthError,
  KvStore,
  KvTimeoutError,
} from "../../src/store/mod.ts";
import { DEFAULT_TOKEN, startKvConnectServer } from "../support/kv_connect/mod.ts";

const J1 = "1".repeat(32);

Deno.test("KvStore.open(url) waits out a remote that answers 503 at start, then opens", async () => {
  for (const down of ["503", "close"] as const) {
    await using server = await startKvConnectServer({ faults: { down } });
    Deno.env.set("DENO_KV_ACCESS_TOKEN", server.token);
    const opening = KvStore.open(server.url, { timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    server.setFaults({});
    const store = await opening;
    try {
      assert.equal((await store.readCursor(J1)).offset, null, down);
      assert.ok(server.stats.requests.metadata >= 2, `${down}: open retried`);
    } finally {
      store.close();
    }
  }
});

Deno.test("KvStore.open(url) fails at once with KvAuthError naming the token variable", async () => {
  // A server that expects another token than the one in the environment: the
  // environment is the process's, and other test modules may be opening KVs.
  await using server = await startKvConnectServer({ token: "only-this-server" });
  Deno.env.set("DENO_KV_ACCESS_TOKEN", DEFAULT_TOKEN);
  const error = await KvStore.open(server.url, { timeoutMs: 20_000 }).then(
    () => assert.fail("opened with a wrong token"),
    (e) => e,
  );
  assert.ok(error instanceof KvAuthError, String(error));
  assert.equal(error.variable, "DENO_KV_ACCESS_TOKEN");
  assert.match(error.message, /DENO_KV_ACCESS_TOKEN/);
  assert.doesNotMatch(error.message, new RegExp(DEFAULT_TOKEN));
  assert.equal(server.stats.requests.metadata, 1, "a refused token is not retried");
});

Deno.test("KvStore.open(url) rejects with KvTimeoutError naming open and the URL when the remote stays down", async () => {
  await using server = await startKvConnectServer({ faults: { down: "503" } });
  Deno.env.set("DENO_KV_ACCESS_TOKEN", server.token);
  const error = await KvStore.open(server.url, { timeoutMs: 600 }).then(
    () => assert.fail("opened a KV that is down"),
    (e) => e,
  );
  assert.ok(error instanceof KvTimeoutError, String(error));
  assert.equal(error.operation, "open");
  assert.equal(error.target, server.url);
  assert.match(error.message, /"open"/);
  assert.match(error.message, /503/, "the last failure is named");
  assert.doesNotMatch(error.message, new RegExp(server.token));
});

Deno.test("KvStore.open(url) rejects with KvTimeoutError when nothing listens there", async () => {
  const server = await startKvConnectServer();
  const url = server.url;
  await server.close();
  Deno.env.set("DENO_KV_ACCESS_TOKEN", server.token);
  await assert.rejects(KvStore.open(url, { timeoutMs: 400 }), KvTimeoutError);
});

Deno.test("KvStore calls past the deadline reject with KvTimeoutError naming the operation, and close() does not wait for them", async () => {
  await using server = await startKvConnectServer();
  Deno.env.set("DENO_KV_ACCESS_TOKEN", server.token);
  const store = await KvStore.open(server.url, { timeoutMs: 300 });
  await store.readCursor(J1); // the client's metadata exchange, before any fault
  server.setFaults({ stall: { on: ["snapshot_read", "atomic_write"] } });
  try {
    const read = await store.readCursor(J1).then(() => assert.fail("answered"), (e) => e);
    assert.ok(read instanceof KvTimeoutError);
    assert.equal(read.operation, "readCursor");
    assert.equal(read.timeoutMs, 300);
    const commit = { journalId: J1, expect: null, sets: [], deadLetters: [], cursor: 1 };
    const write = await store.commitBatch(commit).then(() => assert.fail("answered"), (e) => e);
    assert.ok(write instanceof KvTimeoutError);
    assert.equal(write.operation, "commitBatch");
    for (const call of [() => store.cursors(), () => store.tally("ab".repeat(32))]) {
      await assert.rejects(call(), KvTimeoutError);
    }
  } finally {
    store.close(); // returns although calls are still held
    server.setFaults({});
    assert.ok(server.releaseStalls() >= 1);
  }
});

Deno.test("KvStore.open() gives every call a 30 s deadline unless timeoutMs says otherwise", async () => {
  assert.equal(DEFAULT_KV_TIMEOUT_MS, 30_000);
  const store = await KvStore.open(":memory:");
  assert.equal(store.timeoutMs, DEFAULT_KV_TIMEOUT_MS);
  store.close();
  const bounded = await KvStore.open(":memory:", { timeoutMs: 1234 });
  assert.equal(bounded.timeoutMs, 1234);
  bounded.close();
});

Deno.test("KvStore.open() refuses a timeout that is not positive", async () => {
  await assert.rejects(KvStore.open(":memory:", { timeoutMs: 0 }), RangeError);
  await assert.rejects(KvStore.open(":memory:", { timeoutMs: Number.NaN }), RangeError);
  const store = await KvStore.open(":memory:", { timeoutMs: Infinity });
  assert.equal(store.timeoutMs, Infinity);
  store.close();
});
