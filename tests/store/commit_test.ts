import assert from "node:assert/strict";
import {
  type KvSet,
  MAX_COMMIT_BYTES,
  MAX_COMMIT_ID_LENGTH,
  MAX_DEAD_LETTER_PAYLOAD_BYTES,
  MAX_MUTATIONS,
  MAX_TOTAL_KEY_BYTES,
  MAX_VALUE_BYTES,
} from "../../src/store/mod.ts";
import { fitsBeside, roomLeft } from "../../src/store/commit.ts";
import { guardReserve } from "../../src/store/resolve.ts";
import { assertionPayload, withStore } from "./_helpers.ts";

const J1 = "1".repeat(32);
const J2 = "2".repeat(32);

function set(store: { keys: { prefix: Deno.KvKey } }, key: Deno.KvKeyPart[], value: Uint8Array) {
  const full = [...store.keys.prefix, ...key];
  return { key: full, value };
}

Deno.test("commitBatch() applies sets and the cursor together when the versionstamp matches", async () => {
  await withStore(async (store) => {
    const a = await assertionPayload();
    const plan = store.recordMutations(a.payload, a.digest);
    assert.ok(plan.ok);
    assert.deepEqual(await store.readCursor(J1), { offset: null, versionstamp: null });
    const result = await store.commitBatch({
      journalId: J1,
      expect: null,
      sets: plan.sets,
      deadLetters: [],
      cursor: 120,
      lag: { bytes: 10, records: 1 },
    });
    assert.ok(result.ok);
    const cursor = await store.readCursor(J1);
    assert.equal(cursor.offset, 120);
    assert.equal(cursor.versionstamp, result.versionstamp);
    assert.ok(await store.getAssertion(a.hash));
    const [info] = await store.cursors();
    assert.equal(info.journalId, J1);
    assert.equal(info.offset, 120);
    assert.deepEqual(info.lag, { bytes: 10, records: 1 });
    assert.ok(Math.abs(info.updatedAt - Date.now()) < 60_000);
  });
});

Deno.test("commitBatch() with a stale versionstamp applies nothing and returns ok: false", async () => {
  await withStore(async (store) => {
    const first = await store.commitBatch({
      journalId: J1,
      expect: null,
      sets: [],
      deadLetters: [],
      cursor: 10,
    });
    assert.ok(first.ok);
    const a = await assertionPayload();
    const plan = store.recordMutations(a.payload, a.digest);
    assert.ok(plan.ok);
    // Expecting "no cursor yet" after one exists: stale.
    const stale = await store.commitBatch({
      journalId: J1,
      expect: null,
      sets: plan.sets,
      deadLetters: [{ journalId: J1, offset: 10, reason: "x", payload: new Uint8Array(1) }],
      cursor: 99,
      consumer: "ingestor",
    });
    assert.deepEqual(stale, { ok: false });
    assert.equal((await store.readCursor(J1)).offset, 10);
    assert.equal(await store.getAssertion(a.hash), null);
    assert.deepEqual(await store.deadLetters(J1), []);
    assert.deepEqual(await store.consumers(J1), []);
    // An older versionstamp is stale too.
    const second = await store.commitBatch({
      journalId: J1,
      expect: first.versionstamp!,
      sets: [],
      deadLetters: [],
      cursor: 20,
    });
    assert.ok(second.ok);
    const again = await store.commitBatch({
      journalId: J1,
      expect: first.versionstamp!,
      sets: plan.sets,
      deadLetters: [],
      cursor: 30,
    });
    assert.ok(!again.ok);
    assert.equal((await store.readCursor(J1)).offset, 20);
  });
});

Deno.test("commitBatch() keeps one cursor per journal", async () => {
  await withStore(async (store) => {
    await store.commitBatch({ journalId: J1, expect: null, sets: [], deadLetters: [], cursor: 5 });
    await store.commitBatch({ journalId: J2, expect: null, sets: [], deadLetters: [], cursor: 7 });
    const cursors = await store.cursors();
    assert.deepEqual(cursors.map((c) => [c.journalId, c.offset]), [[J1, 5], [J2, 7]]);
  });
});

Deno.test("commitBatch() throws RangeError for more than MAX_MUTATIONS and applies nothing", async () => {
  await withStore(async (store) => {
    const sets = Array.from({ length: MAX_MUTATIONS }, (_, i) => {
      const { key, value } = set(store, ["x", i], new Uint8Array(1));
      return { key, value, keyBytes: 12, bytes: 25 };
    });
    await assert.rejects(
      () => store.commitBatch({ journalId: J1, expect: null, sets, deadLetters: [], cursor: 1 }),
      (e: unknown) => e instanceof RangeError && /mutations/.test(e.message),
    );
    assert.equal((await store.readCursor(J1)).offset, null);
  });
});

Deno.test("commitBatch() throws RangeError when the batch's bytes exceed the commit limit", async () => {
  await withStore(async (store) => {
    const big = (i: number): KvSet => ({
      key: ["x", i],
      value: new Uint8Array(MAX_VALUE_BYTES),
      keyBytes: 12,
      bytes: 24 + MAX_VALUE_BYTES,
    });
    const sets = Array.from({ length: 13 }, (_, i) => big(i));
    await assert.rejects(
      () => store.commitBatch({ journalId: J1, expect: null, sets, deadLetters: [], cursor: 1 }),
      (e: unknown) => e instanceof RangeError && /bytes of mutations/.test(e.message),
    );
  });
});

Deno.test("commitBatch() throws RangeError when the batch's keys exceed the total key limit", async () => {
  await withStore(async (store) => {
    const sets = Array.from({ length: 900 }, (_, i): KvSet => ({
      key: ["k", String(i).padStart(95, "0")],
      value: 1,
      keyBytes: 100,
      bytes: 212,
    }));
    await assert.rejects(
      () => store.commitBatch({ journalId: J1, expect: null, sets, deadLetters: [], cursor: 1 }),
      (e: unknown) => e instanceof RangeError && /bytes of keys/.test(e.message),
    );
  });
});

Deno.test("commitBatch() throws RangeError for an oversized key or value", async () => {
  await withStore(async (store) => {
    const run = (s: KvSet) =>
      store.commitBatch({ journalId: J1, expect: null, sets: [s], deadLetters: [], cursor: 1 });
    await assert.rejects(
      () => run({ key: ["k"], value: 1, keyBytes: 2049, bytes: 4200 }),
      /a key is 2049 bytes/,
    );
    await assert.rejects(
      () => run({ key: ["k"], value: 1, keyBytes: 3, bytes: 6 + MAX_VALUE_BYTES + 1 }),
      /a value is 65537 bytes/,
    );
  });
});

Deno.test("commitBatch() rejects a bad journal id, cursor or expect with TypeError", async () => {
  await withStore(async (store) => {
    const base = { journalId: J1, expect: null, sets: [], deadLetters: [], cursor: 1 };
    await assert.rejects(() => store.commitBatch({ ...base, journalId: "" }), TypeError);
    await assert.rejects(() => store.commitBatch({ ...base, cursor: -1 }), TypeError);
    await assert.rejects(() => store.commitBatch({ ...base, cursor: 1.5 }), TypeError);
    await assert.rejects(() => store.commitBatch({ ...base, expect: 5 as never }), TypeError);
  });
});

Deno.test("batchBudget() leaves room for exactly what a real commit accepts, guards included", async () => {
  await withStore(async (store) => {
    const budget = store.batchBudget(J1, { consumer: "ingestor" });
    // The most a commit's guards add: a check and a set for every shard.
    const guards = guardReserve(store.keys);
    const checks = guards.checkKeys.map((key) => ({ key, versionstamp: null }));
    // Fill the byte budget with full-size values, then one filler sized to the byte.
    const sets: KvSet[] = [];
    let bytes = 0;
    const make = (i: number, size: number): KvSet => {
      const key = [...store.keys.prefix, "fill", i];
      const keyBytes = 2 + 4 + 9; // "fill" + number part
      return { key, value: new Uint8Array(size), keyBytes, bytes: 2 * keyBytes + size };
    };
    for (let i = 0; bytes + make(i, MAX_VALUE_BYTES).bytes <= budget.bytes; i++) {
      sets.push(make(i, MAX_VALUE_BYTES));
      bytes += sets[i].bytes;
    }
    const rest = budget.bytes - bytes - 2 * 15;
    sets.push(make(sets.length, rest));
    const result = await store.commitBatch({
      journalId: J1,
      expect: null,
      sets: [...sets, ...guards.sets],
      checks,
      deadLetters: [],
      cursor: Number.MAX_SAFE_INTEGER,
      lag: { bytes: Number.MAX_SAFE_INTEGER, records: Number.MAX_SAFE_INTEGER },
      consumer: "ingestor",
      commit: "c".repeat(MAX_COMMIT_ID_LENGTH),
    });
    assert.ok(result.ok);
    // One byte more no longer fits our accounting.
    sets[sets.length - 1] = make(sets.length - 1, rest + 1);
    await assert.rejects(
      () =>
        store.commitBatch({
          journalId: J1,
          expect: result.versionstamp!,
          sets: [...sets, ...guards.sets],
          checks,
          deadLetters: [],
          cursor: 1,
          lag: { bytes: 1, records: 1 },
          consumer: "ingestor",
          commit: "c".repeat(MAX_COMMIT_ID_LENGTH),
        }),
      RangeError,
    );
  });
});

Deno.test("commitBatch() stores dead letters with offset, reason and a truncated payload", async () => {
  await withStore(async (store) => {
    const big = new Uint8Array(MAX_DEAD_LETTER_PAYLOAD_BYTES + 100).fill(7);
    const result = await store.commitBatch({
      journalId: J1,
      expect: null,
      sets: [],
      deadLetters: [
        { journalId: J1, offset: 40, reason: "invalid: x", payload: new Uint8Array([1, 2]) },
        { journalId: J1, offset: 8, reason: "too-large: y", payload: big },
      ],
      cursor: 50,
    });
    assert.ok(result.ok);
    const letters = await store.deadLetters(J1);
    assert.deepEqual(letters.map((l) => [l.offset, l.reason, l.payloadBytes]), [
      [8, "too-large: y", big.length],
      [40, "invalid: x", 2],
    ]);
    assert.equal(letters[0].payload.length, MAX_DEAD_LETTER_PAYLOAD_BYTES);
    assert.deepEqual(letters[1].payload, new Uint8Array([1, 2]));
    assert.equal(typeof letters[0].at, "number");
    assert.equal(letters[0].journalId, J1);
  });
});

Deno.test("deadLetters() lists one journal or all journals, up to a limit", async () => {
  await withStore(async (store) => {
    const letter = (journalId: string, offset: number) => ({
      journalId,
      offset,
      reason: "undecodable: z",
      payload: new Uint8Array(1),
    });
    await store.commitBatch({
      journalId: J1,
      expect: null,
      sets: [],
      deadLetters: [letter(J1, 1), letter(J2, 2), letter(J1, 3)],
      cursor: 4,
    });
    assert.equal((await store.deadLetters(J1)).length, 2);
    assert.equal((await store.deadLetters(J2)).length, 1);
    assert.equal((await store.deadLetters()).length, 3);
    assert.equal((await store.deadLetters(undefined, { limit: 2 })).length, 2);
    await assert.rejects(() => store.deadLetters(J1, { limit: 0 }), RangeError);
  });
});

Deno.test("setConsumer() and a commit's consumer field register offsets for cleanup", async () => {
  await withStore(async (store) => {
    assert.equal(await store.lowestConsumerOffset(J1), null);
    await store.setConsumer(J1, "backup", 500);
    await store.commitBatch({
      journalId: J1,
      expect: null,
      sets: [],
      deadLetters: [],
      cursor: 300,
      consumer: "ingestor",
    });
    assert.deepEqual(
      (await store.consumers(J1)).map((c) => [c.name, c.offset]),
      [["backup", 500], ["ingestor", 300]],
    );
    assert.equal(await store.lowestConsumerOffset(J1), 300);
    assert.equal(await store.lowestConsumerOffset(J2), null);
    await store.removeConsumer(J1, "ingestor");
    assert.equal(await store.lowestConsumerOffset(J1), 500);
    await assert.rejects(() => store.setConsumer(J1, "", 1), TypeError);
    await assert.rejects(() => store.setConsumer(J1, "x", -1), TypeError);
  });
});

/** Packs plans greedily into one batch within `store.batchBudget()`; returns the sets. */
function pack(
  store: { batchBudget(id: string): { mutations: number; bytes: number; keyBytes: number } },
  plans: KvSet[][],
): KvSet[] {
  const budget = store.batchBudget(J1);
  const out: KvSet[] = [];
  let bytes = 0;
  let keys = 0;
  for (const sets of plans) {
    const b = sets.reduce((n, s) => n + s.bytes, 0);
    const k = sets.reduce((n, s) => n + s.keyBytes, 0);
    if (
      out.length + sets.length > budget.mutations || bytes + b > budget.bytes ||
      keys + k > budget.keyBytes
    ) break;
    out.push(...sets);
    bytes += b;
    keys += k;
  }
  return out;
}

Deno.test("batches packed to batchBudget() from real plans commit, whichever limit binds", async () => {
  await withStore(async (store) => {
    // Large assertions: the byte limit binds.
    const large = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) => assertionPayload({ subject: `s${i}`, object: "x".repeat(60_000), timestamp: i }),
      ),
    );
    // Small records with long subjects: the total key size limit binds.
    const keyHeavy = await Promise.all(
      Array.from(
        { length: 400 },
        (_, i) => assertionPayload({ subject: `${"k".repeat(1_500)}${i}`, timestamp: i }),
      ),
    );
    // Tiny records: the mutation count binds.
    const tiny = await Promise.all(
      Array.from({ length: 600 }, (_, i) => assertionPayload({ subject: "t", timestamp: i })),
    );
    let expect: string | null = null;
    for (
      const [name, items] of [["large", large], ["keyHeavy", keyHeavy], ["tiny", tiny]] as const
    ) {
      const plans = items.map(({ payload, digest }) => {
        const plan = store.recordMutations(payload, digest);
        assert.ok(plan.ok);
        return plan.sets;
      });
      const sets = pack(store, plans);
      assert.ok(sets.length < plans.flat().length, `${name}: the budget must bind`);
      const result = await store.commitBatch({
        journalId: J1,
        expect,
        sets,
        deadLetters: [],
        cursor: 1,
        lag: { bytes: 1, records: 1 },
      });
      assert.ok(result.ok, name);
      expect = result.versionstamp!;
    }
  });
});

Deno.test("commitBatch() records the commit id with the cursor, and readCursor() returns it", async () => {
  await withStore(async (store) => {
    const base = { journalId: J1, expect: null, sets: [], deadLetters: [], cursor: 7 };
    const result = await store.commitBatch({ ...base, commit: "commit-1" });
    assert.ok(result.ok);
    assert.deepEqual(await store.readCursor(J1), {
      offset: 7,
      versionstamp: result.versionstamp,
      commit: "commit-1",
    });
    await assert.rejects(
      () =>
        store.commitBatch({
          ...base,
          expect: result.versionstamp!,
          commit: "c".repeat(MAX_COMMIT_ID_LENGTH + 1),
        }),
      TypeError,
    );
  });
});

Deno.test("roomLeft() is Deno KV's commit limits less a fixed cost, and fitsBeside() admits a cost up to them exactly", () => {
  const room = roomLeft({ mutations: 3, bytes: 100, keyBytes: 40 });
  assert.deepEqual(room, {
    mutations: MAX_MUTATIONS - 3,
    bytes: MAX_COMMIT_BYTES - 100,
    keyBytes: MAX_TOTAL_KEY_BYTES - 40,
  });
  const used = { mutations: 10, bytes: 1_000, keyBytes: 500 };
  const exact = {
    mutations: room.mutations - 10,
    bytes: room.bytes - 1_000,
    keyBytes: room.keyBytes - 500,
  };
  assert.equal(fitsBeside(used, exact, room), true);
  for (const over of ["mutations", "bytes", "keyBytes"] as const) {
    assert.equal(fitsBeside(used, { ...exact, [over]: exact[over] + 1 }, room), false, over);
  }
});
