import assert from "node:assert/strict";
import { formatCount, formatRate } from "../../src/cli/_output.ts";

Deno.test("formatCount() groups digits by thousands as en-US does", () => {
  for (const n of [0, 7, 999, 1000, 12_345, 999_999, 1_000_000, 1_234_567_890, 2 ** 53 - 1]) {
    assert.equal(formatCount(n), n.toLocaleString("en-US"), String(n));
  }
});

Deno.test("formatCount() rounds to an integer and keeps the sign", () => {
  assert.equal(formatCount(1_234.6), "1,235");
  assert.equal(formatCount(-12_345), "-12,345");
  assert.equal(formatCount(-0.4), "0");
});

Deno.test("formatRate() prints items per second with separators", () => {
  assert.equal(formatRate(123_456, 1_000), "123,456/s");
  assert.equal(formatRate(5, 0), "0/s");
});
