import assert from "node:assert/strict";
import { isTransient, retrying } from "../../src/ingest/retry.ts";
import { KvTimeoutError } from "../../src/store/mod.ts";

Deno.test("retrying() retries a locked SQLite database until the call succeeds", async () => {
  let calls = 0;
  const value = await retrying(() => {
    calls++;
    if (calls < 4) return Promise.reject(new TypeError("database is locked"));
    return Promise.resolve("done");
  });
  assert.equal(value, "done");
  assert.equal(calls, 4);
});

Deno.test("retrying() passes other errors on at once", async () => {
  let calls = 0;
  await assert.rejects(
    () =>
      retrying(() => {
        calls++;
        return Promise.reject(
          new RangeError("Cannot commit batch: 1001 mutations, more than 1000"),
        );
      }),
    RangeError,
  );
  assert.equal(calls, 1);
  assert.equal(isTransient(new Error("database is busy")), true);
  assert.equal(isTransient("database is locked"), false);
});

Deno.test("retrying() retries a remote read whose answer was cut, but not a call past its deadline", async () => {
  let calls = 0;
  const value = await retrying(() => {
    if (++calls < 3) {
      return Promise.reject(new Error("KV Connect failed to read response body: reset"));
    }
    return Promise.resolve("read");
  });
  assert.equal(value, "read");
  let timedOut = 0;
  await assert.rejects(
    () =>
      retrying(() => {
        timedOut++;
        return Promise.reject(
          new KvTimeoutError({ operation: "readCursor", target: "http://kv", timeoutMs: 1 }),
        );
      }),
    KvTimeoutError,
  );
  assert.equal(timedOut, 1);
});

Deno.test("retrying() passes a transient failure on once limitMs, the store's deadline, has passed", async () => {
  let calls = 0;
  const started = performance.now();
  await assert.rejects(
    () =>
      retrying(() => {
        calls++;
        return Promise.reject(new Error("KV Connect failed to decode response"));
      }, { limitMs: 100 }),
    /failed to decode response/,
  );
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 100 && elapsed < 1_000, `gave up after ${Math.round(elapsed)} ms`);
  assert.ok(calls > 1, "retried within the limit");
});
