import assert from "node:assert/strict";
import { RecordValidationError, serializeAssertion } from "../../src/records/mod.ts";
import {
  KV_KEY_LIMIT_BYTES,
  MAX_PAYLOAD_BYTES,
  MAX_PREFIX_KEY_BYTES,
  MAX_SUBJECT_BYTES,
  SUBJECT_KEY_OVERHEAD_BYTES,
} from "../../src/records/limits.ts";
import {
  keyBytes,
  KeyLayout,
  MAX_CHECKS,
  MAX_COMMIT_BYTES,
  MAX_GET_MANY,
  MAX_KEY_BYTES,
  MAX_MUTATIONS,
  MAX_PREFIX_BYTES,
  MAX_TOTAL_KEY_BYTES,
  MAX_VALUE_BYTES,
} from "../../src/store/mod.ts";
import { withKv } from "./_helpers.ts";

async function commits(kv: Deno.Kv, build: (op: Deno.AtomicOperation) => void) {
  const op = kv.atomic();
  build(op);
  try {
    return (await op.commit()).ok;
  } catch {
    return false;
  }
}

Deno.test("record bounds agree with the store's KV limits", () => {
  assert.equal(KV_KEY_LIMIT_BYTES, MAX_KEY_BYTES);
  assert.equal(MAX_PAYLOAD_BYTES, MAX_VALUE_BYTES);
  assert.equal(MAX_PREFIX_KEY_BYTES, MAX_PREFIX_BYTES);
  assert.equal(MAX_SUBJECT_BYTES, 2048 - 256 - 71);
  // The overhead is what keyBytes measures for ["S", "", hash].
  assert.equal(SUBJECT_KEY_OVERHEAD_BYTES, keyBytes(["S", "", "0".repeat(64)]));
});

Deno.test("a max-size subject key under a max-size prefix is exactly the KV key limit", async () => {
  // A prefix of one string part taking all MAX_PREFIX_BYTES: tag + bytes + terminator.
  const keys = new KeyLayout(["p".repeat(MAX_PREFIX_BYTES - 2)]);
  const key = keys.subjectEntry("s".repeat(MAX_SUBJECT_BYTES), "0".repeat(64));
  assert.equal(keyBytes(key), MAX_KEY_BYTES);
  await withKv(async (kv) => {
    await kv.set(key, "0".repeat(64));
    const longer = keys.subjectEntry("s".repeat(MAX_SUBJECT_BYTES + 1), "0".repeat(64));
    await assert.rejects(() => kv.set(longer, 1), /Key too large/);
  });
  // Records refuse that longer subject before it could reach the log.
  assert.throws(
    () =>
      serializeAssertion({
        subject: "s".repeat(MAX_SUBJECT_BYTES + 1),
        predicate: "p",
        object: 1,
        source: "src",
        confidence: 1,
        timestamp: 0,
      }),
    RecordValidationError,
  );
});

Deno.test("KeyLayout rejects a prefix longer than MAX_PREFIX_BYTES", () => {
  assert.throws(() => new KeyLayout(["p".repeat(MAX_PREFIX_BYTES - 1)]), RangeError);
});

Deno.test("Deno KV accepts a value of MAX_VALUE_BYTES and rejects one byte more", async () => {
  await withKv(async (kv) => {
    await kv.set(["v"], new Uint8Array(MAX_VALUE_BYTES));
    await assert.rejects(() => kv.set(["v"], new Uint8Array(MAX_VALUE_BYTES + 1)), /too large/);
  });
});

/** Checks the local SQLite back end allows; denokv's server allows MAX_CHECKS. */
const LOCAL_MAX_CHECKS = 100;

Deno.test("Deno KV enforces MAX_MUTATIONS, MAX_CHECKS and MAX_GET_MANY", async () => {
  await withKv(async (kv) => {
    assert.ok(
      await commits(kv, (op) => {
        for (let i = 0; i < MAX_MUTATIONS; i++) op.set(["m", i], 1);
      }),
    );
    assert.ok(
      !(await commits(kv, (op) => {
        for (let i = 0; i <= MAX_MUTATIONS; i++) op.set(["m", i], 1);
      })),
    );
    assert.ok(
      await commits(kv, (op) => {
        for (let i = 0; i < MAX_CHECKS; i++) op.check({ key: ["c", i], versionstamp: null });
      }),
    );
    // The local back end is laxer than denokv's server: the store keeps to the lower bound.
    assert.ok(MAX_CHECKS < LOCAL_MAX_CHECKS);
    assert.ok(
      !(await commits(kv, (op) => {
        for (let i = 0; i <= LOCAL_MAX_CHECKS; i++) op.check({ key: ["c", i], versionstamp: null });
      })),
    );
    await kv.getMany(Array.from({ length: MAX_GET_MANY }, (_, i) => ["g", i]));
    await assert.rejects(() =>
      kv.getMany(Array.from({ length: MAX_GET_MANY + 1 }, (_, i) => ["g", i]))
    );
  });
});

Deno.test("Deno KV counts a commit as check keys + twice each set key + values", async () => {
  await withKv(async (kv) => {
    // 12 full values under ["v", i] (12-byte keys) plus one filler set under ["w"] (3 bytes).
    const full = 12;
    const fixed = full * (2 * keyBytes(["v", 0]) + MAX_VALUE_BYTES) + 2 * keyBytes(["w"]);
    const check = ["c", "x".repeat(100)];
    const filler = MAX_COMMIT_BYTES - fixed - keyBytes(check);
    const build = (n: number) => (op: Deno.AtomicOperation) => {
      op.check({ key: check, versionstamp: null });
      for (let i = 0; i < full; i++) op.set(["v", i], new Uint8Array(MAX_VALUE_BYTES));
      op.set(["w"], new Uint8Array(n));
    };
    assert.ok(await commits(kv, build(filler)), "exactly MAX_COMMIT_BYTES commits");
    assert.ok(!(await commits(kv, build(filler + 1))), "one byte more is rejected");
  });
});

Deno.test("Deno KV limits the total key bytes of a commit's mutations", async () => {
  await withKv(async (kv) => {
    // 800 keys of 102 bytes = 81,600 bytes; 81,920 is the limit.
    const key = (i: number, pad: number) => ["k", String(i).padStart(pad, "0")];
    assert.equal(keyBytes(key(0, 97)), 102);
    assert.ok(
      await commits(kv, (op) => {
        for (let i = 0; i < 800; i++) op.set(key(i, 97), 1);
      }),
    );
    const over = Math.ceil(MAX_TOTAL_KEY_BYTES / 102) + 1;
    assert.ok(
      !(await commits(kv, (op) => {
        for (let i = 0; i < over; i++) op.set(key(i, 97), 1);
      })),
    );
  });
});
