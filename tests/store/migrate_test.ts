import assert from "node:assert/strict";
import {
  countMigrationVotes,
  KeyLayout,
  KvStore,
  LAYOUT_VERSION,
  migrateStore,
  type MigrationProgress,
  StoreLayoutError,
} from "../../src/store/mod.ts";
import { assertTallyClose, referenceTallies } from "../support/consensus_reference.ts";
import { assertionPayload, type Digested, ingest, votePayload, withKv } from "./_helpers.ts";

interface Written {
  targets: Digested[];
  votes: (Digested & { assertion: string; voter: string; value: number; timestamp: number })[];
}

/**
 * Writes what the earlier version (layout 1) wrote for these records: the
 * payloads under `H`, `S` and `V`, a cursor, and no layout key.
 */
async function writeLayoutOne(kv: Deno.Kv, prefix: Deno.KvKey, votesPerTarget: number[]) {
  const keys = new KeyLayout(prefix);
  const written: Written = { targets: [], votes: [] };
  for (const [t, n] of votesPerTarget.entries()) {
    const target = await assertionPayload({ object: `target-${t}` });
    written.targets.push(target);
    await kv.set(keys.assertion(target.hash), target.payload);
    await kv.set(keys.subjectEntry("earth", target.hash), target.hash);
    for (let i = 0; i < n; i += 500) {
      const op = kv.atomic();
      for (let j = i; j < Math.min(n, i + 500); j++) {
        const spec = { voter: `v${j % 37}`, value: ((j % 5) - 2) / 2, timestamp: (j * 31) % 101 };
        const vote = await votePayload(target.hash, spec);
        written.votes.push({ ...vote, ...spec, assertion: target.hash });
        op.set(keys.vote(target.hash, vote.hash), vote.payload);
      }
      assert.ok((await op.commit()).ok);
    }
  }
  await kv.set(keys.cursor("j".repeat(32)), { offset: 1, updatedAt: 0 });
  return written;
}

/** Every winner and tally key under `prefix`, with its value; a zero counter reads as absent. */
async function derived(kv: Deno.Kv, prefix: Deno.KvKey) {
  const keys = new KeyLayout(prefix);
  const out = new Map<string, unknown>();
  for (const p of [keys.winners(), keys.tallies()]) {
    for await (const e of kv.list({ prefix: p })) {
      const value = e.value instanceof Deno.KvU64 ? e.value.value : e.value;
      if (value === 0n) continue;
      out.set(JSON.stringify(e.key.slice(prefix.length)), value);
    }
  }
  return out;
}

Deno.test("KvStore.open() refuses a store written by the earlier layout, naming deno task migrate", async () => {
  await withKv(async (kv) => {
    await writeLayoutOne(kv, [], [3]);
    await assert.rejects(
      () => KvStore.open(kv),
      (e: unknown) => {
        assert.ok(e instanceof StoreLayoutError);
        assert.equal(e.kind, "needs-migration");
        assert.equal(e.found, 1);
        assert.match(e.message, /run "deno task migrate"/);
        return true;
      },
    );
  });
});

Deno.test("KvStore.open() refuses a store of a newer layout; an empty one is marked by its first commit", async () => {
  await withKv(async (kv) => {
    const store = await KvStore.open(kv, { prefix: ["empty"] });
    assert.equal(
      (await kv.get(["empty", "_meta", "layout"])).versionstamp,
      null,
      "open writes nothing",
    );
    await ingest(store, [await assertionPayload()]);
    store.close();
    assert.equal((await kv.get(["empty", "_meta", "layout"])).value, LAYOUT_VERSION);
    await kv.set(["newer", "_meta", "layout"], LAYOUT_VERSION + 1);
    await assert.rejects(
      () => KvStore.open(kv, { prefix: ["newer"] }),
      (e: unknown) => e instanceof StoreLayoutError && e.kind === "newer",
    );
  });
});

Deno.test("migrateStore() builds the winners and tallies an ingest of the same votes builds", async () => {
  await withKv(async (kv) => {
    // One assertion with more votes than a list batch and a commit hold.
    const written = await writeLayoutOne(kv, ["old"], [1_300, 40, 1]);
    const report = await migrateStore(kv, { prefix: ["old"] });
    assert.deepEqual(report, {
      from: 1,
      to: LAYOUT_VERSION,
      migrated: true,
      resumed: false,
      assertions: 3,
      votes: written.votes.length,
    });
    const fresh = await KvStore.open(kv, { prefix: ["fresh"] });
    await ingest(fresh, [...written.targets, ...written.votes]);
    fresh.close();
    assert.deepEqual(await derived(kv, ["old"]), await derived(kv, ["fresh"]));
    const store = await KvStore.open(kv, { prefix: ["old"] });
    try {
      const reference = referenceTallies(written.votes);
      for (const t of written.targets) {
        assertTallyClose(await store.tally(t.hash), reference.get(t.hash)!, t.hash);
      }
    } finally {
      store.close();
    }
  });
});

Deno.test("migrateStore() resumes after being stopped and ends as one uninterrupted run", async () => {
  await withKv(async (kv) => {
    await writeLayoutOne(kv, ["once"], [30, 20, 10, 5]);
    await writeLayoutOne(kv, ["twice"], [30, 20, 10, 5]);
    await migrateStore(kv, { prefix: ["once"] });
    const stop = new AbortController();
    const seen: MigrationProgress[] = [];
    await assert.rejects(
      () =>
        migrateStore(kv, {
          prefix: ["twice"],
          signal: stop.signal,
          onProgress: (p) => {
            seen.push(p);
            if (seen.length === 2) stop.abort();
          },
        }),
      (e: unknown) => e instanceof DOMException && e.name === "AbortError",
    );
    assert.equal(seen.length, 2);
    await assert.rejects(
      () => KvStore.open(kv, { prefix: ["twice"] }),
      (e: unknown) =>
        e instanceof StoreLayoutError && e.kind === "needs-migration" &&
        /migration to layout version 2 has not finished; run "deno task migrate"/.test(e.message),
      "a store half migrated stays refused",
    );
    const rest = await migrateStore(kv, { prefix: ["twice"] });
    assert.equal(rest.resumed, true);
    assert.equal(rest.assertions, 4, "counted across both runs");
    assert.deepEqual(await derived(kv, ["twice"]), await derived(kv, ["once"]));
  });
});

Deno.test("countMigrationVotes() is the votes a migration reads, a stopped one's included, and 0 once current", async () => {
  await withKv(async (kv) => {
    await writeLayoutOne(kv, ["p"], [1_300, 20, 10, 5]);
    const counted: number[] = [];
    const total = await countMigrationVotes(kv, {
      prefix: ["p"],
      onProgress: (p) => counted.push(p.votes),
    });
    assert.equal(total, 1_335);
    assert.deepEqual(counted, [1_000], "reported every thousand votes");
    const stop = new AbortController();
    await assert.rejects(() =>
      migrateStore(kv, {
        prefix: ["p"],
        signal: stop.signal,
        onProgress: () => stop.abort(),
      })
    );
    // Half migrated: the votes read before the stop, and those after where it stood.
    assert.equal(await countMigrationVotes(kv, { prefix: ["p"] }), total);
    assert.equal((await migrateStore(kv, { prefix: ["p"] })).votes, total);
    assert.equal(await countMigrationVotes(kv, { prefix: ["p"] }), 0);
    assert.equal(await countMigrationVotes(kv, { prefix: ["empty"] }), 0);
  });
});

Deno.test("migrateStore() of a migrated store changes nothing", async () => {
  await withKv(async (kv) => {
    await writeLayoutOne(kv, [], [12]);
    assert.equal((await migrateStore(kv)).migrated, true);
    const stamps = new Map<string, string>();
    for await (const e of kv.list({ prefix: [] })) {
      stamps.set(JSON.stringify(e.key), e.versionstamp);
    }
    const again = await migrateStore(kv);
    assert.deepEqual([again.from, again.migrated], [LAYOUT_VERSION, false]);
    for await (const e of kv.list({ prefix: [] })) {
      assert.equal(e.versionstamp, stamps.get(JSON.stringify(e.key)), "nothing rewritten");
    }
    const store = await KvStore.open(kv);
    assert.equal(
      (await store.tally((await assertionPayload({ object: "target-0" })).hash)).count,
      12,
    );
    store.close();
  });
});

Deno.test("KvStore.open() racing the first commit of another writer on an empty store opens, never mistaking it for layout 1", async () => {
  // The version is read, then the data listed: a first commit landing between
  // the two once made a fresh store look like one written before versions.
  for (let round = 0; round < 20; round++) {
    await withKv(async (kv) => {
      const writer = await KvStore.open(kv);
      const record = await assertionPayload({ object: `round-${round}` });
      const opening = Array.from({ length: 8 }, () => KvStore.open(kv));
      await ingest(writer, [record]);
      for (const store of await Promise.all(opening)) store.close();
      writer.close();
    });
  }
});
