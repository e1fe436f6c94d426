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
import { toHex } from "../../src/records/mod.ts";
import { assertTallyClose, referenceTallies } from "../support/consensus_reference.ts";
import { startKvConnectServer } from "../support/kv_connect/mod.ts";
import {
  assertionPayload,
  type Digested,
  epochPayload,
  ingest,
  votePayload,
  withKv,
} from "./_helpers.ts";

interface Written {
  targets: Digested[];
  votes: (Digested & { assertion: string; voter: string; value: number; timestamp: number })[];
}

/**
 * Writes what the earliest version (layout 1) wrote for these records: the
 * payloads under `H`, `S` and `V` with hashes as hex strings, a cursor, and
 * no layout key.
 */
async function writeLayoutOne(kv: Deno.Kv, prefix: Deno.KvKey, votesPerTarget: number[]) {
  const keys = new KeyLayout(prefix);
  const written: Written = { targets: [], votes: [] };
  for (const [t, n] of votesPerTarget.entries()) {
    const target = await assertionPayload({ object: `target-${t}` });
    written.targets.push(target);
    await kv.set([...prefix, "H", target.hash], target.payload);
    await kv.set([...prefix, "S", "earth", target.hash], target.hash);
    for (let i = 0; i < n; i += 500) {
      const op = kv.atomic();
      for (let j = i; j < Math.min(n, i + 500); j++) {
        const spec = { voter: `v${j % 37}`, value: ((j % 5) - 2) / 2, timestamp: (j * 31) % 101 };
        const vote = await votePayload(target.hash, spec);
        written.votes.push({ ...vote, ...spec, assertion: target.hash });
        op.set([...prefix, "V", target.hash, vote.hash], vote.payload);
      }
      assert.ok((await op.commit()).ok);
    }
  }
  await kv.set(keys.cursor("j".repeat(32)), { offset: 1, updatedAt: 0 });
  return written;
}

/** A key part as layout 2 wrote it: a 32-byte hash as 64 hex characters. */
function hexPart(part: Deno.KvKeyPart): Deno.KvKeyPart {
  return part instanceof Uint8Array && part.length === 32 ? toHex(part) : part;
}

/**
 * Copies the store under `from` to `to` as layout 2 wrote the same records:
 * every 32-byte hash part as hex, the subject index's value the hash, the
 * layout key 2.
 */
async function copyAsLayoutTwo(kv: Deno.Kv, from: Deno.KvKey, to: Deno.KvKey) {
  for await (const e of kv.list({ prefix: from })) {
    const rest = e.key.slice(from.length);
    const key = [...to, ...rest.map(hexPart)];
    const value = rest[0] === "S" ? key.at(-1) : rest[0] === "_meta" ? 2 : e.value;
    if (rest[0] === "_meta" && rest[1] !== "layout") continue;
    await kv.set(key, value);
  }
}

/**
 * Every data key under `prefix` (records, indexes, winners, tallies: not the
 * ingest state or metadata), with its value; a zero counter reads as absent.
 */
async function derived(kv: Deno.Kv, prefix: Deno.KvKey) {
  const out = new Map<string, unknown>();
  for await (const e of kv.list({ prefix })) {
    const family = e.key[prefix.length];
    if (family === "_ingest" || family === "_meta") continue;
    const value = e.value instanceof Deno.KvU64 ? e.value.value : e.value;
    if (value === 0n) continue;
    const key = e.key.slice(prefix.length).map(hexPart);
    out.set(JSON.stringify(key), value instanceof Uint8Array ? toHex(value) : value);
  }
  return out;
}

/** Every target's tally in the store under `prefix` is the reference's of `written.votes`. */
async function assertReferenceTallies(kv: Deno.Kv, prefix: Deno.KvKey, written: Written) {
  const store = await KvStore.open(kv, { prefix });
  try {
    const reference = referenceTallies(written.votes);
    for (const t of written.targets) {
      assertTallyClose(await store.tally(t.hash), reference.get(t.hash)!, t.hash);
    }
  } finally {
    store.close();
  }
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

Deno.test("migrateStore() of a layout-1 store builds the indexes, winners and tallies an ingest of the same records builds", async () => {
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
      moved: 3 + 3 + written.votes.length,
    });
    const fresh = await KvStore.open(kv, { prefix: ["fresh"] });
    await ingest(fresh, [...written.targets, ...written.votes]);
    fresh.close();
    assert.deepEqual(await derived(kv, ["old"]), await derived(kv, ["fresh"]));
    await assertReferenceTallies(kv, ["old"], written);
  });
});

Deno.test("migrateStore() resumes after being stopped, in either step, and ends as one uninterrupted run", async () => {
  await withKv(async (kv) => {
    await writeLayoutOne(kv, ["once"], [30, 20, 10, 5]);
    await migrateStore(kv, { prefix: ["once"] });
    // Progress 2: moving keys (after H and S); 13: building the second assertion's winners.
    for (const at of [2, 13]) {
      const prefix = [`twice-${at}`];
      await writeLayoutOne(kv, prefix, [30, 20, 10, 5]);
      const stop = new AbortController();
      const seen: MigrationProgress[] = [];
      await assert.rejects(
        () =>
          migrateStore(kv, {
            prefix,
            signal: stop.signal,
            onProgress: (p) => {
              seen.push(p);
              if (seen.length === at) stop.abort();
            },
          }),
        (e: unknown) => e instanceof DOMException && e.name === "AbortError",
      );
      assert.equal(seen.length, at);
      await assert.rejects(
        () => KvStore.open(kv, { prefix }),
        (e: unknown) =>
          e instanceof StoreLayoutError && e.kind === "needs-migration" &&
          new RegExp(
            `migration to layout version ${LAYOUT_VERSION} has not finished; run "deno task migrate"`,
          ).test(e.message),
        "a store half migrated stays refused",
      );
      const rest = await migrateStore(kv, { prefix });
      assert.equal(rest.resumed, true);
      assert.equal(rest.assertions, 4, "counted across both runs");
      assert.deepEqual(await derived(kv, prefix), await derived(kv, ["once"]), `stopped at ${at}`);
    }
  });
});

Deno.test("migrateStore() of a layout-2 store moves every key to byte hashes, as an ingest of the same records writes them", async () => {
  await withKv(async (kv) => {
    const fresh = await KvStore.open(kv, { prefix: ["fresh"] });
    const epoch = await epochPayload({ id: "0a" });
    const target = await assertionPayload({ object: "target", epoch: "0a" });
    const referrer = await assertionPayload({ subject: "moon", object: { ref: target.hash } });
    const votes = await Promise.all(
      ["ann", "bob", "ann"].map((voter, i) =>
        votePayload(target.hash, { voter, value: i - 1, timestamp: i })
      ),
    );
    await ingest(fresh, [epoch, target, referrer, ...votes]);
    fresh.close();
    await copyAsLayoutTwo(kv, ["fresh"], ["old"]);
    await assert.rejects(
      () => KvStore.open(kv, { prefix: ["old"] }),
      (e: unknown) => e instanceof StoreLayoutError && e.found === 2,
    );
    const report = await migrateStore(kv, { prefix: ["old"] });
    assert.deepEqual([report.from, report.to, report.migrated], [2, LAYOUT_VERSION, true]);
    assert.deepEqual([report.assertions, report.votes], [0, 0], "nothing to rebuild");
    assert.deepEqual(await derived(kv, ["old"]), await derived(kv, ["fresh"]));
    // Every key moved but those with no hash in them: the epoch and the two subject-list keys.
    assert.equal(report.moved, (await derived(kv, ["old"])).size - 3);
    const store = await KvStore.open(kv, { prefix: ["old"] });
    try {
      assert.equal((await store.listSubject("earth", { predicate: "orbits" })).items.length, 1);
      assert.equal((await store.listReferrers(target.hash)).items[0].hash, referrer.hash);
      assert.equal((await store.listVoterVotes(target.hash, "ann")).items.length, 2);
      assert.deepEqual((await store.tally(target.hash)).count, 2);
    } finally {
      store.close();
    }
  });
});

Deno.test("migrateStore() finishes a migration to layout 2 that an earlier version left half done", async () => {
  await withKv(async (kv) => {
    await writeLayoutOne(kv, ["once"], [12, 7]);
    await migrateStore(kv, { prefix: ["once"] });
    const written = await writeLayoutOne(kv, ["half"], [12, 7]);
    // What the earlier version's migration had committed for the first assertion.
    const first = [...written.targets].sort((a, b) => a.hash < b.hash ? -1 : 1)[0].hash;
    await kv.set(["half", "W", first, "v0"], { t: 0, h: "00".repeat(32), v: 1 });
    await kv.set(["half", "T", first, "u"], new Deno.KvU64(1n));
    await kv.set(["half", "_meta", "migration"], { to: 2, after: first, assertions: 1, votes: 12 });
    const report = await migrateStore(kv, { prefix: ["half"] });
    assert.deepEqual([report.from, report.resumed, report.migrated], [1, true, true]);
    assert.deepEqual(await derived(kv, ["half"]), await derived(kv, ["once"]));
  });
});

Deno.test("migrateStore({ countFirst }) passes the run's keys and votes as total, which moved + votes reaches, a stopped run's included, and a resumed run's starting point as resumedFrom", async () => {
  await withKv(async (kv) => {
    const run = async (
      prefix: string,
      stopAfter?: number,
      seen: { done: number; total?: number; resumedFrom?: number }[] = [],
    ) => {
      const stop = new AbortController();
      const report = await migrateStore(kv, {
        prefix: [prefix],
        countFirst: true,
        signal: stop.signal,
        onProgress: (p) => {
          seen.push({ done: (p.moved ?? 0) + p.votes, total: p.total, resumedFrom: p.resumedFrom });
          if (seen.length === stopAfter) stop.abort();
        },
      });
      return { report, seen };
    };
    await writeLayoutOne(kv, ["once"], [1_300, 20, 10, 5]);
    await writeLayoutOne(kv, ["twice"], [1_300, 20, 10, 5]);
    const once = await run("once");
    const total = once.seen[0].total!;
    assert.ok(once.seen.every((s) => s.total === total), "one total for the whole run");
    assert.equal(once.seen.at(-1)!.done, total, "reached when done");
    assert.equal(total, once.report.moved + once.report.votes);
    assert.ok(once.report.votes >= 1_335 && once.report.moved > once.report.votes);
    assert.ok(once.seen.every((s) => s.resumedFrom === undefined), "a fresh run resumes nothing");
    const stopped: { done: number }[] = [];
    await assert.rejects(() => run("twice", 2, stopped));
    const resumed = await run("twice");
    assert.ok(
      resumed.seen.every((s) => s.resumedFrom === stopped.at(-1)!.done),
      "a resumed run starts from the stopped run's last progress",
    );
    assert.ok(resumed.seen.every((s) => s.total === total), "a resumed run counts what was done");
    assert.equal(resumed.seen.at(-1)!.done, total);
    const current = await migrateStore(kv, { prefix: ["once"], countFirst: true });
    assert.equal(current.migrated, false);
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
  await assertReferenceTallies(server.kv, [], written);
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

Deno.test("migrateStore() fails naming the key whose hash part is not a content hash", async () => {
  await withKv(async (kv) => {
    const a = await assertionPayload();
    await kv.set(["H", "not-a-hash"], a.payload);
    await assert.rejects(
      () => migrateStore(kv),
      (e: unknown) => e instanceof TypeError && /\["H","not-a-hash"\]/.test(e.message),
    );
  });
});
