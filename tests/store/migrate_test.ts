import assert from "node:assert/strict";
import {
  KeyLayout,
  KvStore,
  KvTimeoutError,
  LAYOUT_VERSION,
  migrateStore,
  type MigrationProgress,
  StoreLayoutError,
} from "../../src/store/mod.ts";
import { assertTallyClose, referenceTallies } from "../support/consensus_reference.ts";
import { startKvConnectServer } from "../support/kv_connect/mod.ts";
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

Deno.test("migrateStore(url) rejects with KvTimeoutError naming the call the remote stalls, and a rerun finishes", async () => {
  await using server = await startKvConnectServer();
  Deno.env.set("DENO_KV_ACCESS_TOKEN", server.token);
  const written = await writeLayoutOne(server.kv, [], [30, 5]);
  for (const [on, operation] of [["metadata", "open"], ["snapshot_read", "readLayout"]] as const) {
    server.setFaults({ stall: { on: [on] } });
    const error = await migrateStore(server.url, { timeoutMs: 300 }).then(
      () => assert.fail("answered"),
      (e) => e,
    );
    assert.ok(error instanceof KvTimeoutError, String(error));
    assert.deepEqual([error.operation, error.timeoutMs], [operation, 300]);
    server.setFaults({});
    server.releaseStalls();
  }
  // Stall the first commit of progress: the migration stops there, nothing half written.
  server.setFaults({ stall: { on: ["atomic_write"], times: 1 } });
  const stalled = await migrateStore(server.url, { timeoutMs: 300 }).then(
    () => assert.fail("answered"),
    (e) => e,
  );
  assert.ok(stalled instanceof KvTimeoutError);
  assert.equal(stalled.operation, "migrate");
  server.setFaults({});
  assert.equal(server.releaseStalls(), 1);
  const report = await migrateStore(server.url, { timeoutMs: 10_000 });
  assert.deepEqual([report.migrated, report.votes], [true, written.votes.length]);
  const store = await KvStore.open(server.kv);
  try {
    const reference = referenceTallies(written.votes);
    for (const t of written.targets) {
      assertTallyClose(await store.tally(t.hash), reference.get(t.hash)!, t.hash);
    }
  } finally {
    store.close();
  }
});

Deno.test("migrateStore() refuses a timeout that is not positive", async () => {
  await assert.rejects(migrateStore(":memory:", { timeoutMs: 0 }), RangeError);
  await assert.rejects(migrateStore("", {}), TypeError);
});

Deno.test("KvStore.open() opens a store whose first commit lands while it reads the layout", async () => {
  await withKv(async (kv) => {
    const first = await assertionPayload();
    let landed = false;
    // Another process's first commit (data and layout key together) lands right after this
    // one has read the layout key as absent, before it looks for data.
    const racing = new Proxy(kv, {
      get(target, prop) {
        if (prop === "get") {
          return async (key: Deno.KvKey, options?: { consistency?: Deno.KvConsistencyLevel }) => {
            const entry = await target.get(key, options);
            if (!landed && key.at(-1) === "layout") {
              landed = true;
              const keys = new KeyLayout();
              const commit = await target.atomic().set(keys.assertion(first.hash), first.payload)
                .set(keys.layout(), LAYOUT_VERSION).commit();
              assert.ok(commit.ok);
            }
            return entry;
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const store = await KvStore.open(racing);
    assert.ok(landed, "the commit landed between the reads");
    assert.equal((await store.getAssertion(first.hash))?.object, "sun");
    store.close();
  });
});
