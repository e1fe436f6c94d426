import assert from "node:assert/strict";
import { isTransient, retrying } from "../../src/ingest/retry.ts";

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
