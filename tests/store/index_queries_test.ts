import assert from "node:assert/strict";
import {
  keyBytes,
  KeyLayout,
  KvStore,
  MAX_KEY_BYTES,
  MAX_PREFIX_BYTES,
  type Page,
} from "../../src/store/mod.ts";
import { MAX_SUBJECT_BYTES, MAX_VOTER_BYTES } from "../../src/records/mod.ts";
import { KV_BACKENDS, withKvBackend } from "../support/kv_connect/mod.ts";
import { assertionPayload, epochPayload, ingest, votePayload, withStore } from "./_helpers.ts";

/** Every page of a paginated query, following cursors. */
async function allPages<T>(
  read: (cursor: string | undefined) => Promise<Page<T>>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await read(cursor);
    items.push(...page.items);
    pages++;
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
  return { items, pages };
}

const SUBJECTS = ["mar", "mars", "marsh", "mb", "ma", "m\u{10ffff}", "m\u{10ffff}x", "zé", "z"];

Deno.test("listSubjects() lists each distinct subject once, in code point order, paged by cursor", async () => {
  await withStore(async (store) => {
    const records = await Promise.all(
      SUBJECTS.flatMap((subject) => [0, 1].map((t) => assertionPayload({ subject, timestamp: t }))),
    );
    await ingest(store, records);
    await ingest(store, records.slice(0, 3)); // applied again: no duplicate subject
    const { items, pages } = await allPages((cursor) => store.listSubjects({ limit: 4, cursor }));
    const sorted = [...SUBJECTS].sort((a, b) => (a < b ? -1 : 1));
    assert.deepEqual(items.map((s) => s.subject), [...new Set(sorted)]);
    assert.equal(pages, 3);
  });
});

Deno.test("listSubjects({ prefix }) lists only the subjects that start with the prefix", async () => {
  await withStore(async (store) => {
    await ingest(
      store,
      await Promise.all(SUBJECTS.map((subject) => assertionPayload({ subject }))),
    );
    const subjects = async (prefix: string, limit = 2) =>
      (await allPages((cursor) => store.listSubjects({ prefix, limit, cursor }))).items
        .map((s) => s.subject);
    assert.deepEqual(await subjects("mar"), ["mar", "mars", "marsh"]);
    assert.deepEqual(await subjects("mars", 1), ["mars", "marsh"]);
    assert.deepEqual(await subjects("m\u{10ffff}"), ["m\u{10ffff}", "m\u{10ffff}x"]);
    assert.deepEqual(await subjects("z"), ["z", "zé"]);
    assert.deepEqual(await subjects("zé"), ["zé"]);
    assert.deepEqual(await subjects("q"), []);
    assert.equal((await subjects("", 100)).length, SUBJECTS.length);
  });
});

Deno.test("listSubjects() rejects a prefix longer than any subject and a lone surrogate", async () => {
  await withStore(async (store) => {
    await assert.rejects(
      () => store.listSubjects({ prefix: "x".repeat(MAX_SUBJECT_BYTES + 1) }),
      RangeError,
    );
    await assert.rejects(() => store.listSubjects({ prefix: "a\ud800" }), /lone surrogate/);
    await assert.rejects(() => store.listSubjects({ limit: 0 }), RangeError);
    await assert.rejects(() => store.listSubjects({ cursor: "!!" }), /invalid cursor/);
  });
});

Deno.test("listSubject({ predicate }) lists only the subject's assertions of that predicate", async () => {
  await withStore(async (store) => {
    const orbits = await Promise.all(
      [0, 1, 2, 3, 4].map((t) => assertionPayload({ predicate: "orbits", timestamp: t })),
    );
    const other = [
      await assertionPayload({ predicate: "orbit" }),
      await assertionPayload({ predicate: "orbits", subject: "mars" }),
      await assertionPayload({ predicate: "s", subject: "earthorbit" }),
    ];
    await ingest(store, [...orbits, ...other]);
    const { items, pages } = await allPages((cursor) =>
      store.listSubject("earth", { predicate: "orbits", limit: 2, cursor })
    );
    assert.equal(pages, 3);
    assert.deepEqual(items.map((a) => a.hash), orbits.map((a) => a.hash).sort());
    assert.ok(items.every((a) => a.subject === "earth" && a.predicate === "orbits"));
    assert.equal((await store.listSubject("earth")).items.length, 6, "no predicate: all of them");
    assert.deepEqual((await store.listSubject("earth", { predicate: "none" })).items, []);
  });
});

Deno.test("listReferrers() lists the assertions whose object references an assertion", async () => {
  await withStore(async (store) => {
    const target = await assertionPayload();
    const referrers = await Promise.all(
      [0, 1, 2].map((t) => assertionPayload({ object: { ref: target.hash }, timestamp: t })),
    );
    const unrelated = await assertionPayload({ object: { ref: "00".repeat(32) } });
    const text = await assertionPayload({ object: target.hash }); // a string, not a reference
    await ingest(store, [target, ...referrers, unrelated, text]);
    const { items } = await allPages((cursor) =>
      store.listReferrers(target.hash, { limit: 2, cursor })
    );
    assert.deepEqual(items.map((a) => a.hash), referrers.map((a) => a.hash).sort());
    assert.deepEqual((await store.listReferrers(referrers[0].hash)).items, []);
    await assert.rejects(() => store.listReferrers("AB".repeat(32)), TypeError);
  });
});

Deno.test("listEpochAssertions() lists the assertions that name an epoch", async () => {
  await withStore(async (store) => {
    const inEpoch = await Promise.all(
      [0, 1, 2].map((t) => assertionPayload({ epoch: "0a", timestamp: t })),
    );
    const elsewhere = [await assertionPayload({ epoch: "0a0b" }), await assertionPayload()];
    await ingest(store, [await epochPayload(), ...inEpoch, ...elsewhere]);
    const { items } = await allPages((cursor) =>
      store.listEpochAssertions("0a", { limit: 2, cursor })
    );
    assert.deepEqual(items.map((a) => a.hash), inEpoch.map((a) => a.hash).sort());
    assert.ok(items.every((a) => a.epoch === "0a"));
    assert.deepEqual((await store.listEpochAssertions("0c")).items, []);
    await assert.rejects(() => store.listEpochAssertions("0"), TypeError);
  });
});

Deno.test("listVoterVotes() gives a voter's votes on an assertion oldest first, and nobody else's", async () => {
  await withStore(async (store) => {
    const a = await assertionPayload();
    const b = await assertionPayload({ subject: "mars" });
    const times = [50, 10, 40, 20, 30];
    const mine = await Promise.all(
      times.map((timestamp, i) => votePayload(a.hash, { timestamp, value: i % 2 ? -1 : 1 })),
    );
    const others = [
      await votePayload(a.hash, { voter: "bob", timestamp: 15 }),
      await votePayload(a.hash, { voter: "annie", timestamp: 15 }),
      await votePayload(b.hash, { timestamp: 15 }),
    ];
    await ingest(store, [a, b, ...mine, ...others]);
    const { items, pages } = await allPages((cursor) =>
      store.listVoterVotes(a.hash, "ann", { limit: 2, cursor })
    );
    assert.equal(pages, 3);
    assert.deepEqual(items.map((v) => v.timestamp), [10, 20, 30, 40, 50]);
    assert.ok(items.every((v) => v.voter === "ann" && v.assertion === a.hash));
    const byHash = new Map(mine.map((v, i) => [v.hash, times[i]]));
    assert.ok(items.every((v) => byHash.get(v.hash) === v.timestamp), "hashes match payloads");
    assert.deepEqual((await store.listVoterVotes(a.hash, "carl")).items, []);
    await assert.rejects(() => store.listVoterVotes(a.hash, ""), TypeError);
    await assert.rejects(() => store.listVoterVotes("xy", "ann"), TypeError);
  });
});

Deno.test("index keys of a largest subject under a largest prefix fit Deno KV's key limit", async () => {
  // The largest prefix: a string part of MAX_PREFIX_BYTES encoded bytes (tag + n + terminator).
  const prefix = ["p".repeat(MAX_PREFIX_BYTES - 2)];
  assert.equal(keyBytes(prefix), MAX_PREFIX_BYTES);
  await withStore(async (store) => {
    const subject = "é".repeat(MAX_SUBJECT_BYTES / 2 - 1) +
      "xxx".slice(0, MAX_SUBJECT_BYTES % 2 + 2);
    assert.equal(new TextEncoder().encode(subject).length, MAX_SUBJECT_BYTES);
    const a = await assertionPayload({
      subject,
      predicate: "p".repeat(10_000),
      object: { ref: "ab".repeat(32) },
      epoch: "ff".repeat(32),
    });
    const voter = "v".repeat(MAX_VOTER_BYTES);
    const vote = await votePayload(a.hash, { voter });
    const plan = store.recordMutations(a.payload, a.digest);
    assert.ok(plan.ok);
    const votePlan = store.recordMutations(vote.payload, vote.digest);
    assert.ok(votePlan.ok);
    const sets = [...plan.sets, ...votePlan.sets, votePlan.resolve!.set];
    for (const set of sets) {
      assert.ok(set.keyBytes <= MAX_KEY_BYTES, `${String(set.key[1])}: ${set.keyBytes}`);
    }
    const subjectList = plan.sets.find((s) => s.key[1] === "SL")!;
    assert.equal(subjectList.keyBytes, MAX_PREFIX_BYTES + 4 + 2 + MAX_SUBJECT_BYTES);
    await ingest(store, [a, vote]);
    assert.deepEqual((await store.listSubjects({ prefix: subject })).items, [{ subject }]);
    const byPredicate = await store.listSubject(subject, { predicate: "p".repeat(10_000) });
    assert.deepEqual(byPredicate.items.map((x) => x.hash), [a.hash]);
    assert.equal((await store.listReferrers("ab".repeat(32))).items.length, 1);
    assert.equal((await store.listEpochAssertions("ff".repeat(32))).items.length, 1);
    assert.equal((await store.listVoterVotes(a.hash, voter)).items.length, 1);
  }, { prefix });
});

Deno.test("index keys are written under the store's prefix only", () => {
  const keys = new KeyLayout(["t", 1]);
  for (const key of [keys.subjectList(), keys.references("ab"), keys.epochAssertions("0a")]) {
    assert.deepEqual(key.slice(0, 2), ["t", 1]);
  }
});

Deno.test("listSubjects() and listVoterVotes() page the same on the remote KV back end", async () => {
  for (const backend of KV_BACKENDS) {
    await withKvBackend(backend, async ({ target }) => {
      const store = await KvStore.open(target);
      try {
        const a = await assertionPayload({ subject: "mars" });
        const subjects = await Promise.all(
          ["mars", "marsh", "mart", "mas"].map((subject) => assertionPayload({ subject })),
        );
        const votes = await Promise.all(
          [3, 1, 2].map((timestamp) => votePayload(a.hash, { timestamp })),
        );
        await ingest(store, [...subjects, ...votes]);
        const listed = await allPages((cursor) =>
          store.listSubjects({ prefix: "mar", limit: 2, cursor })
        );
        assert.deepEqual(listed.items.map((s) => s.subject), ["mars", "marsh", "mart"], backend);
        const history = await allPages((cursor) =>
          store.listVoterVotes(a.hash, "ann", { limit: 2, cursor })
        );
        assert.deepEqual(history.items.map((v) => v.timestamp), [1, 2, 3], backend);
      } finally {
        store.close();
      }
    });
  }
});
