import assert from "node:assert/strict";
import { fromHex, toHex } from "../../src/records/mod.ts";

Deno.test("toHex() writes every byte as two lowercase digits", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const hex = toHex(all);
  assert.equal(hex.length, 512);
  assert.equal(hex.slice(0, 6), "000102");
  assert.equal(hex.slice(-4), "feff");
  assert.deepEqual(fromHex(hex), all);
});

Deno.test("fromHex() rejects odd length, uppercase and non-hex text with TypeError", () => {
  for (const bad of ["a", "AB", "zz", "0x00", " 00"]) {
    assert.throws(() => fromHex(bad), TypeError);
  }
  assert.deepEqual(fromHex(""), new Uint8Array(0));
});

Deno.test("toHex() encodes only the bytes of a view into a larger buffer", () => {
  const whole = Uint8Array.from([0xaa, 0x01, 0x02, 0xbb]);
  assert.equal(toHex(whole.subarray(1, 3)), "0102");
});

Deno.test("fromHex() names the rejected text in its TypeError", () => {
  assert.throws(() => fromHex("0A"), {
    name: "TypeError",
    message: /"0A": expected lowercase hex/,
  });
  assert.throws(() => fromHex(7 as unknown as string), TypeError);
});
