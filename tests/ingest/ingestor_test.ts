import assert from "node:assert/strict";
import { contentHash, toHex } from "../../src/records/mod.ts";
import { Journal } from "../../src/wal/mod.ts";
import { Ingestor } from "../../src/ingest/mod.ts";
import {
  assertAppliedOnce,
  assertionAt,
  assertionPayload,
  epochPayload,
  openEnv,
  poisonPayloads,
  votePayload,
  withPlans,
} from "./_helpers.ts";

Deno.test("Ingestor.runOnce() makes an assertion queryable by hash and subject", async () => {
  await using env = await openEnv();
  const payload = assertionPayload(1, { subject: "Paris" });
  await env.journal.append(payload);
  const report = await new Ingestor(env.journal, env.store).runOnce();
  assert.deepEqual([report.applied, report.deadLettered, report.commits], [1, 0, 1]);
  assert.deepEqual(report.caughtUp, true);
  const hash = await contentHash(payload);
  const got = await env.store.getAssertion(hash);
  assert.deepEqual(got?.subject, "Paris");
  assert.deepEqual(got?.object, assertionAt(1).object);
  assert.deepEqual((await env.store.listSubject("Paris")).items.map((a) => a.hash), [hash]);
});

Deno.test("Ingestor.runOnce() applies votes with exact tallies and epochs", async () => {
  await using env = await openEnv();
  const target = await contentHash(assertionPayload(1));
  await env.journal.append(assertionPayload(1));
  await env.journal.append(votePayload(target, "ann", 1));
  await env.journal.append(votePayload(target, "bob", -0.5));
  await env.journal.append(votePayload(target, "ann", 1)); // appended twice: counted once
  await env.journal.append(epochPayload("0a0b"));
  const report = await new Ingestor(env.journal, env.store).runOnce();
  assert.deepEqual(report.applied, 5);
  const tally = await env.store.tally(target);
  assert.deepEqual([tally.count, tally.up, tally.down, tally.sum], [2, 1, 1, 0.5]);
  assert.deepEqual((await env.store.getEpoch("0a0b"))?.name, "epoch 0a0b");
  await assertAppliedOnce(env.journal, env.store);
});

Deno.test("Ingestor.runOnce() applies many records and indexes every subject", async () => {
  await using env = await openEnv();
  const payloads = Array.from({ length: 3000 }, (_, i) => assertionPayload(i));
  for (let i = 0; i < payloads.length; i += 500) {
    await env.journal.appendBatch(payloads.slice(i, i + 500));
  }
  const report = await new Ingestor(env.journal, env.store).runOnce();
  assert.deepEqual(report.applied, 3000);
  assert.ok(
    report.commits >= 6,
    `3,000 assertions (6,000 sets) need 7 commits, got ${report.commits}`,
  );
  for (let s = 0; s < 7; s++) {
    let n = 0;
    let cursor: string | undefined;
    do {
      const page = await env.store.listSubject(`subject-${s}`, { limit: 100, cursor });
      n += page.items.length;
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    assert.deepEqual(n, payloads.filter((_, i) => i % 7 === s).length, `subject-${s}`);
  }
  await assertAppliedOnce(env.journal, env.store);
});

Deno.test("Ingestor splits large values into several commits that fit Deno KV's limits", async () => {
  await using env = await openEnv();
  const big = "v".repeat(60_000);
  const n = 2000;
  for (let i = 0; i < n; i += 100) {
    await env.journal.appendBatch(
      Array.from({ length: 100 }, (_, j) => assertionPayload(i + j, { object: `${big}${i + j}` })),
    );
  }
  const report = await new Ingestor(env.journal, env.store).runOnce();
  assert.deepEqual(report.applied, n);
  assert.deepEqual(report.deadLettered, 0);
  // About 60 KB per record and 800 KiB per commit: at most 13 records per commit.
  assert.ok(
    report.commits >= Math.ceil(n / 13),
    `expected ≥ ${Math.ceil(n / 13)} commits, got ${report.commits}`,
  );
  await assertAppliedOnce(env.journal, env.store);
});

Deno.test("Ingestor dead-letters poison records of each kind with offset and reason, and continues", async () => {
  await using env = await openEnv();
  const poison = poisonPayloads();
  const offsets: Record<string, number> = {};
  await env.journal.append(assertionPayload(100));
  for (const [kind, payload] of Object.entries(poison)) {
    offsets[kind] = (await env.journal.append(payload)).offset;
    await env.journal.append(assertionPayload(200 + Object.keys(offsets).length));
  }
  const report = await new Ingestor(env.journal, env.store).runOnce();
  assert.deepEqual(report.deadLettered, 4);
  assert.deepEqual(report.applied, 5);
  const letters = await env.store.deadLetters(env.journal.id);
  const byOffset = new Map(letters.map((l) => [l.offset, l]));
  assert.match(byOffset.get(offsets.unknownType)!.reason, /unknown/i);
  assert.match(byOffset.get(offsets.undecodable)!.reason, /undecodable/i);
  assert.match(byOffset.get(offsets.invalid)!.reason, /invalid.*confidence/i);
  assert.match(byOffset.get(offsets.tooLarge)!.reason, /too.large/i);
  assert.deepEqual(
    toHex(byOffset.get(offsets.undecodable)!.payload),
    toHex(poison.undecodable),
    "the dead letter keeps the payload",
  );
  await assertAppliedOnce(env.journal, env.store);
});

Deno.test("Ingestor dead-letters a record whose sets cannot fit one commit as too large for KV", async () => {
  await using env = await openEnv();
  await env.journal.append(assertionPayload(1));
  const off = (await env.journal.append(assertionPayload(2))).offset;
  await env.journal.append(assertionPayload(3));
  // A store whose plans give record 2 more sets than one commit can hold.
  const hash2 = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(1))));
  let n = 0;
  const store = withPlans(env.store, (payload, digest) => {
    const p = env.store.recordMutations(payload, digest);
    if (++n !== 2 || !p.ok) return p;
    const sets = Array.from(
      { length: 1001 },
      (_, i) => ({ ...p.sets[0], key: ["H", `${hash2}${i}`] }),
    );
    return { ...p, sets };
  });
  const report = await new Ingestor(env.journal, store).runOnce();
  assert.deepEqual([report.applied, report.deadLettered], [2, 1]);
  const [letter] = await env.store.deadLetters(env.journal.id);
  assert.deepEqual(letter.offset, off);
  assert.match(letter.reason, /^too large for KV/);
});

Deno.test("Ingestor.runOnce() stops after maxRecords and resumes from the cursor", async () => {
  await using env = await openEnv();
  await env.journal.appendBatch(Array.from({ length: 250 }, (_, i) => assertionPayload(i)));
  const ingestor = new Ingestor(env.journal, env.store, { batchRecords: 40 });
  const first = await ingestor.runOnce({ maxRecords: 100 });
  assert.deepEqual([first.applied, first.commits, first.caughtUp], [100, 3, false]);
  const second = await ingestor.runOnce({ maxRecords: 100 });
  assert.deepEqual(second.from, first.to);
  assert.deepEqual(second.applied, 100);
  const third = await ingestor.runOnce();
  assert.deepEqual([third.applied, third.caughtUp], [50, true]);
  assert.deepEqual(third.to, env.journal.durableOffset);
  await assertAppliedOnce(env.journal, env.store);
});

Deno.test("Ingestor.runOnce() stops reading once timeBudgetMs has passed", async () => {
  await using env = await openEnv();
  await env.journal.appendBatch(Array.from({ length: 5000 }, (_, i) => assertionPayload(i)));
  const ingestor = new Ingestor(env.journal, env.store, { batchRecords: 10 });
  const none = await ingestor.runOnce({ timeBudgetMs: 0 });
  assert.deepEqual([none.applied, none.commits, none.caughtUp], [0, 0, false]);
  const some = await ingestor.runOnce({ timeBudgetMs: 100 });
  assert.ok(some.applied > 0 && some.applied < 5000, `applied ${some.applied}`);
  assert.deepEqual(some.caughtUp, false);
  await ingestor.runOnce();
  await assertAppliedOnce(env.journal, env.store);
});

Deno.test("Ingestor.runOnce() called while a pass runs joins it instead of racing it", async () => {
  await using env = await openEnv();
  await env.journal.appendBatch(Array.from({ length: 500 }, (_, i) => assertionPayload(i)));
  const ingestor = new Ingestor(env.journal, env.store, { batchRecords: 50 });
  const [a, b] = await Promise.all([ingestor.runOnce(), ingestor.runOnce()]);
  assert.deepEqual([a.applied, a.joined, a.conflicts], [500, false, 0]);
  assert.deepEqual([b.applied, b.commits, b.joined, b.caughtUp], [0, 0, true, true]);
  await assertAppliedOnce(env.journal, env.store);
});

Deno.test("Ingestor keeps a cursor per journal so two journals feed one KV", async () => {
  await using env = await openEnv();
  const other = await Journal.open(`${env.dir}/wal2`);
  try {
    await env.journal.appendBatch(Array.from({ length: 30 }, (_, i) => assertionPayload(i)));
    await other.appendBatch(Array.from({ length: 20 }, (_, i) => assertionPayload(1000 + i)));
    await other.append(poisonPayloads().unknownType);
    const r1 = await new Ingestor(env.journal, env.store).runOnce();
    const r2 = await new Ingestor(other, env.store).runOnce();
    assert.deepEqual([r1.applied, r2.applied, r2.deadLettered], [30, 20, 1]);
    const cursors = new Map((await env.store.cursors()).map((c) => [c.journalId, c.offset]));
    assert.deepEqual(cursors.get(env.journal.id), env.journal.durableOffset);
    assert.deepEqual(cursors.get(other.id), other.durableOffset);
    assert.deepEqual((await env.store.deadLetters(other.id)).length, 1);
    assert.deepEqual((await env.store.deadLetters(env.journal.id)).length, 0);
    for (const i of [0, 29, 1000, 1019]) {
      assert.ok(
        await env.store.getAssertion(await contentHash(assertionPayload(i))),
        `assertion ${i}`,
      );
    }
  } finally {
    await other.close();
  }
});

Deno.test("Ingestor.lag() reports bytes and records behind, cursor and last commit", async () => {
  await using env = await openEnv();
  const ingestor = new Ingestor(env.journal, env.store);
  const empty = await ingestor.lag();
  assert.deepEqual([empty.bytes, empty.records, empty.lastCommitAt], [0, 0, null]);
  await env.journal.appendBatch(Array.from({ length: 100 }, (_, i) => assertionPayload(i)));
  await ingestor.runOnce({ maxRecords: 60 });
  const lag = await ingestor.lag();
  assert.deepEqual(lag.durableOffset, env.journal.durableOffset);
  assert.deepEqual(lag.bytes, env.journal.durableOffset - lag.cursor);
  assert.ok(lag.records !== undefined && Math.abs(lag.records - 40) <= 2, `records ${lag.records}`);
  assert.ok(lag.lastCommitAt !== null && Date.now() - lag.lastCommitAt < 60_000);
  await ingestor.runOnce();
  assert.deepEqual((await ingestor.lag()).bytes, 0);
});
