import assert from "node:assert/strict";
import { blake3 } from "hash-wasm";
import { subjectPredicateDigest, voterDigest } from "../../src/store/mod.ts";

/** BLAKE3-256 of `bytes` by a second, independent implementation. */
function reference(bytes: Uint8Array): Promise<string> {
  return blake3(bytes);
}

const utf8 = new TextEncoder();

/** Texts across the encoder's paths: empty, ASCII, 2-, 3- and 4-byte UTF-8, a lone surrogate, and past the reused 4 KiB array. */
const TEXTS = [
  "",
  "ann",
  "é",
  "日本語",
  "😀 emoji",
  "lone \uD800 surrogate",
  "x".repeat(1365),
  "y".repeat(5000),
  "語".repeat(2000),
];

Deno.test("voterDigest() is BLAKE3-256 of the voter's UTF-8 bytes (known answer for the empty voter)", async () => {
  assert.equal(voterDigest(""), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
  for (const voter of TEXTS) assert.equal(voterDigest(voter), await reference(utf8.encode(voter)));
});

Deno.test("subjectPredicateDigest() is BLAKE3-256 of subject, one zero byte, predicate, as UTF-8", async () => {
  for (const subject of TEXTS) {
    for (const predicate of ["", "orbits", "語".repeat(1500)]) {
      const s = utf8.encode(subject);
      const p = utf8.encode(predicate);
      const joined = new Uint8Array(s.length + 1 + p.length);
      joined.set(s);
      joined.set(p, s.length + 1);
      assert.equal(subjectPredicateDigest(subject, predicate), await reference(joined));
    }
  }
});

Deno.test("voterDigest() gives the same digest for a short text after a long one", () => {
  const first = voterDigest("ann");
  voterDigest("z".repeat(10_000));
  voterDigest("b".repeat(1000));
  assert.equal(voterDigest("ann"), first);
});
