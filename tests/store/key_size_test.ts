import assert from "node:assert/strict";
import { keyBytes, MAX_KEY_BYTES, MAX_VALUE_BYTES, valueBytes } from "../../src/store/mod.ts";
import { withKv } from "./_helpers.ts";

async function accepted(kv: Deno.Kv, key: Deno.KvKey, value: unknown = 1): Promise<boolean> {
  try {
    await kv.set(key, value);
    return true;
  } catch {
    return false;
  }
}

/** Largest n for which make(n) is accepted, by binary search over [0, hi]. */
async function largest(hi: number, ok: (n: number) => Promise<boolean>) {
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (await ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const PARTS: [string, Deno.KvKeyPart][] = [
  ["ASCII string", "hello"],
  ["string with U+0000", "a\0b\0"],
  ["non-ASCII string", "Zürich 🇨🇭"],
  ["bytes", new Uint8Array([1, 2, 3])],
  ["bytes with zeros", new Uint8Array([0, 0, 7])],
  ["empty bytes", new Uint8Array(0)],
  ["integer number", 42],
  ["fraction", -0.25],
  ["true", true],
  ["false", false],
  ["bigint 0", 0n],
  ["small bigint", 300n],
  ["negative bigint", -70000n],
  ["64-bit bigint", 2n ** 63n],
  ["wide bigint", 2n ** 70n],
];

for (const [name, part] of PARTS) {
  Deno.test(`keyBytes() measures a ${name} key part as Deno KV does`, async () => {
    await withKv(async (kv) => {
      const key = (n: number) => ["x".repeat(n), part];
      const n = await largest(MAX_KEY_BYTES, (n) => accepted(kv, key(n)));
      assert.equal(keyBytes(key(n)), MAX_KEY_BYTES);
    });
  });
}

Deno.test("keyBytes() rejects unsupported key parts with TypeError", () => {
  assert.throws(() => keyBytes([{} as unknown as string]), TypeError);
});

Deno.test("valueBytes() counts a Uint8Array by its length", () => {
  assert.equal(valueBytes(new Uint8Array(1234)), 1234);
});

const SHAPES: [string, (n: number) => unknown][] = [
  ["Latin-1 string", (n) => "x".repeat(n)],
  ["UTF-16 string", (n) => "é🇨".repeat(n)],
  ["object with a string", (n) => ({ offset: 123, updatedAt: Date.now(), note: "y".repeat(n) })],
  ["object with bytes", (n) => ({ reason: "r", payload: new Uint8Array(n), at: 1 })],
  ["array of numbers", (n) => Array.from({ length: n }, (_, i) => i * 1.5)],
];

for (const [name, make] of SHAPES) {
  Deno.test(`valueBytes() never under-counts a ${name} against the KV value limit`, async () => {
    await withKv(async (kv) => {
      const n = await largest(MAX_VALUE_BYTES, (n) => accepted(kv, ["v"], make(n)));
      // Whatever Deno KV rejects, valueBytes() must also put over the limit.
      assert.ok(valueBytes(make(n + 1)) > MAX_VALUE_BYTES, `n = ${n}`);
      // And the estimate stays within a few percent of the real size.
      assert.ok(valueBytes(make(n)) <= MAX_VALUE_BYTES * 1.05, `n = ${n}`);
      // Measured on a local KV whatever the suite's back end: this is Deno's own V8
      // encoding against its limit, which the KV Connect test server re-encodes with
      // node:v8 (an array of doubles comes out smaller there, so it accepts more).
    }, "local");
  });
}

Deno.test("keyBytes() counts strings as their UTF-8 bytes with each U+0000 doubled", () => {
  const encoder = new TextEncoder();
  const samples = ["", "a", "\0", "é", "€", "🇨🇭", "a\0é\0€🇨", "\ud800", "\udc00x", "\ud800\ud800"];
  for (const text of samples) {
    const bytes = encoder.encode(text);
    const zeros = bytes.filter((b) => b === 0).length;
    assert.equal(keyBytes([text]), 2 + bytes.length + zeros, JSON.stringify(text));
  }
});
