import assert from "node:assert/strict";
import { describeRetention, parseRetention } from "../../src/config/retention.ts";

Deno.test("parseRetention() reads durations as retainMs and sizes as retainBytes", () => {
  assert.deepEqual(parseRetention("90s"), { retainMs: 90_000 });
  assert.deepEqual(parseRetention("30m"), { retainMs: 1_800_000 });
  assert.deepEqual(parseRetention("7d"), { retainMs: 604_800_000 });
  assert.deepEqual(parseRetention("0"), { retainBytes: 0 });
  assert.deepEqual(parseRetention("4096"), { retainBytes: 4096 });
  assert.deepEqual(parseRetention("512MB"), { retainBytes: 512_000_000 });
  assert.deepEqual(parseRetention("1GiB"), { retainBytes: 2 ** 30 });
});

Deno.test("parseRetention() rejects what is neither a duration nor a size, naming it", () => {
  for (const bad of ["", "-1d", "7 days", "1e3", "lots", "10PB"]) {
    assert.throws(() => parseRetention(bad), (e: Error) => {
      assert.ok(e instanceof RangeError);
      assert.ok(e.message.includes(`"${bad}"`), e.message);
      return true;
    });
  }
});

Deno.test("describeRetention() reads back as parseRetention() reads it", () => {
  for (const text of ["0", "90s", "12h", "3d", "2w"]) {
    assert.equal(describeRetention(parseRetention(text)), text);
  }
  assert.equal(describeRetention(parseRetention("1KiB")), "1024 bytes");
  assert.deepEqual(parseRetention(describeRetention({ retainMs: 1500 })), { retainMs: 1500 });
});
