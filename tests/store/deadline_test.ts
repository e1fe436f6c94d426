import assert from "node:assert/strict";
import {
  BACKOFF_MAX_MS,
  backoffDelay,
  kvFailureKind,
  kvTarget,
  KvTimeoutError,
  withDeadline,
} from "../../src/store/mod.ts";

const at = { operation: "readCursor", target: "http://kv.test", timeoutMs: 20 };

Deno.test("withDeadline() rejects with KvTimeoutError naming the operation and target once the deadline passes", async () => {
  const late = Promise.withResolvers<string>();
  const seen: string[] = [];
  const error = await withDeadline(() => late.promise, { ...at, onLate: (v) => seen.push(v) })
    .then(() => assert.fail("answered"), (e) => e);
  assert.ok(error instanceof KvTimeoutError);
  assert.equal(error.operation, "readCursor");
  assert.equal(error.target, "http://kv.test");
  assert.equal(
    error.message,
    'Deno KV call "readCursor" to "http://kv.test" did not succeed within 20 ms',
  );
  late.resolve("late value");
  await late.promise;
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(seen, ["late value"], "a late result goes to onLate, not the caller");
});

Deno.test("withDeadline() passes on a result or an error that comes in time, and waits forever at Infinity", async () => {
  assert.equal(await withDeadline(() => Promise.resolve(7), at), 7);
  await assert.rejects(withDeadline(() => Promise.reject(new RangeError("bad")), at), RangeError);
  const slow = new Promise((resolve) => setTimeout(() => resolve("slow"), 40));
  assert.equal(await withDeadline(() => slow, { ...at, timeoutMs: Infinity }), "slow");
});

Deno.test("backoffDelay() grows exponentially with jitter and stays under its cap", () => {
  for (let attempt = 0; attempt < 40; attempt++) {
    const ceiling = Math.min(BACKOFF_MAX_MS, 50 * 2 ** attempt);
    for (let i = 0; i < 20; i++) {
      const ms = backoffDelay(attempt);
      assert.ok(ms >= ceiling / 2 && ms <= ceiling, `attempt ${attempt}: ${ms} ms`);
    }
  }
  assert.ok(backoffDelay(10, { baseMs: 1, maxMs: 8 }) <= 8);
});

Deno.test("kvFailureKind() tells transient, unauthorized and fatal failures of Deno's KV client apart", () => {
  const cases: [unknown, string][] = [
    [new TypeError("database is locked"), "transient"],
    [
      new Error("KV Connect failed to read response body: error reading a body from connection"),
      "transient",
    ],
    [new Error("KV Connect failed to decode response"), "transient"],
    [
      new TypeError(
        "Could not open Deno KV database: the metadata endpoint at 'http://x/' responded with status 503 Service Unavailable: down",
      ),
      "transient",
    ],
    [
      new TypeError("Could not open Deno KV database: failed to connect to 'http://x/': refused"),
      "transient",
    ],
    [
      new TypeError(
        "Could not open Deno KV database: the metadata endpoint at 'http://x/' responded with status 401 Unauthorized: no",
      ),
      "unauthorized",
    ],
    [new RangeError("Cannot commit batch: 1001 mutations, more than 1000"), "fatal"],
    [new KvTimeoutError(at), "fatal"],
    [new Error("Database closed"), "fatal"],
    ["not an error", "fatal"],
  ];
  for (const [error, kind] of cases) assert.equal(kvFailureKind(error), kind, String(error));
});

Deno.test("kvTarget() names a URL without credentials, query or fragment, and a path as is", () => {
  assert.equal(
    kvTarget("https://u:p@kv.example/db/connect?t=1#x"),
    "https://kv.example/db/connect",
  );
  assert.equal(kvTarget("http://127.0.0.1:4512"), "http://127.0.0.1:4512");
  assert.equal(kvTarget("./data/kv.sqlite"), "./data/kv.sqlite");
  assert.equal(kvTarget(":memory:"), ":memory:");
});
