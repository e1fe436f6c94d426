// Each fault as Deno 2.9.6's remote client sees it. Retried faults log a
// "KV Connect failed to call ..." line to stderr on every attempt: that noise
// is the client's, not a test failure.
import assert from "node:assert/strict";
import { type KvConnectServer, openRemoteKv, startKvConnectServer, waitFor } from "./mod.ts";
import { FaultPlan } from "./faults.ts";

async function withClient(
  body: (server: KvConnectServer, kv: Deno.Kv) => Promise<void>,
): Promise<void> {
  await using server = await startKvConnectServer();
  const kv = await openRemoteKv(server);
  try {
    // The client finishes its metadata exchange on its first call; do that
    // call before any fault so each test faults the data path only.
    await kv.get(["warm up"]);
    await body(server, kv);
  } finally {
    kv.close();
  }
}

Deno.test("Deno's client retries a 5xx before applying, and the write lands once", async () => {
  await withClient(async (server, kv) => {
    server.setFaults({ error5xx: { times: 2, status: 500 } });
    const result = await kv.atomic().sum(["n"], 1n).commit();
    assert.equal(result.ok, true);
    assert.equal(server.stats.faults.error5xx, 2);
    assert.equal(server.stats.requests.atomic_write, 3);
    assert.equal(server.stats.appliedWrites, 1);
    assert.deepEqual((await server.kv.get(["n"])).value, new Deno.KvU64(1n));
  });
});

Deno.test("Deno's client retries a stream reset or a dropped connection before applying", async () => {
  for (const how of ["stream", "socket"] as const) {
    await withClient(async (server, kv) => {
      server.setFaults({ closeBeforeApply: { times: 2, how } });
      assert.equal((await kv.atomic().sum(["n"], 1n).commit()).ok, true);
      assert.equal((await kv.get(["n"])).versionstamp !== null, true);
      assert.equal(server.stats.faults.closeBeforeApply, 2, how);
      assert.equal(server.stats.appliedWrites, 1, how);
    });
  }
});

Deno.test("Deno's client retries an answer lost after applying, so an unchecked sum lands twice", async () => {
  await withClient(async (server, kv) => {
    server.setFaults({ lostAfterApply: { times: 1, on: ["atomic_write"] } });
    assert.equal((await kv.atomic().sum(["n"], 5n).commit()).ok, true);
    assert.equal(server.stats.faults.lostAfterApply, 1);
    assert.equal(server.stats.appliedWrites, 2);
    assert.deepEqual((await server.kv.get(["n"])).value, new Deno.KvU64(10n));
  });
});

Deno.test("A lost answer makes a checked write report a check failure although it was applied", async () => {
  await withClient(async (server, kv) => {
    server.setFaults({ lostAfterApply: { times: 1, on: ["atomic_write"] } });
    const result = await kv.atomic().check({ key: ["once"], versionstamp: null })
      .set(["once"], "applied").commit();
    assert.equal(result.ok, false);
    assert.equal((await server.kv.get(["once"])).value, "applied");
    assert.equal(server.stats.appliedWrites, 1);
    assert.equal(server.stats.checkFailures, 1);
  });
});

Deno.test("An answer cut after applying fails the call with no retry: reset mid-body and ended short", async () => {
  const cases = [
    ["reset", "KV Connect failed to read response body"],
    ["end", "KV Connect failed to decode response"],
  ] as const;
  for (const [how, message] of cases) {
    await withClient(async (server, kv) => {
      server.setFaults({ cutAfterApply: { times: 1, how } });
      await assert.rejects(kv.atomic().set(["cut"], how).commit(), Error, message);
      assert.equal(server.stats.requests.atomic_write, 1, how);
      assert.equal(server.stats.appliedWrites, 1, how);
      assert.equal((await server.kv.get(["cut"])).value, how);
      server.setFaults({ cutAfterApply: { times: 1, how } });
      await assert.rejects(kv.get(["cut"]), Error, message);
      assert.equal((await kv.get(["cut"])).value, how, "the next read is served");
    });
  }
});

Deno.test("A stalled call waits, with no deadline of Deno's client, until the server lets it go", async () => {
  await withClient(async (server, kv) => {
    server.setFaults({ stall: { times: 1 } });
    let settled = false;
    const commit = kv.atomic().set(["held"], 1).commit().finally(() => settled = true);
    await waitFor("the stall", () => server.stats.faults.stall === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(settled, false);
    assert.equal(server.stats.appliedWrites, 0);
    assert.equal(server.releaseStalls(), 1);
    assert.equal((await commit).ok, true);
    assert.equal(server.stats.appliedWrites, 1);
  });
});

Deno.test("Deno's client retries through a server down for a while, then the write lands once", async () => {
  for (const down of ["503", "close"] as const) {
    await withClient(async (server, kv) => {
      server.setFaults({ down });
      const commit = kv.atomic().set(["after"], down).commit();
      await waitFor("three refusals", () => server.stats.faults.down >= 3);
      assert.equal(server.stats.appliedWrites, 0);
      server.setFaults({});
      assert.equal((await commit).ok, true, down);
      assert.equal(server.stats.appliedWrites, 1, down);
    });
  }
});

Deno.test("Deno.openKv fails at once, without retrying, when the server is down at start", async () => {
  const cases = [
    ["503", "503 Service Unavailable"],
    ["close", "Could not open Deno KV database"],
  ] as const;
  for (const [down, message] of cases) {
    await using server = await startKvConnectServer({ faults: { down } });
    await assert.rejects(openRemoteKv(server), TypeError, message);
    assert.equal(server.stats.faults.down, 1, down);
  }
});

Deno.test("Added latency delays each matching call by at least its ms", async () => {
  await withClient(async (server, kv) => {
    server.setFaults({ latency: { ms: 150, on: ["snapshot_read"] } });
    const started = performance.now();
    await kv.get(["x"]);
    assert.ok(performance.now() - started >= 150);
    assert.equal(server.stats.faults.latency, 1);
    await kv.set(["x"], 1);
    assert.equal(server.stats.faults.latency, 1, "writes are not delayed");
  });
});

Deno.test("FaultPlan draws rates from its seed: the same seed replays the same decisions", () => {
  const decisions = (seed: number) => {
    const plan = new FaultPlan({ seed, error5xx: { rate: 0.3 } });
    return Array.from({ length: 200 }, () => plan.fires("error5xx", "atomic_write"));
  };
  assert.deepEqual(decisions(7), decisions(7));
  assert.notDeepEqual(decisions(7), decisions(8));
  const fired = decisions(7).filter(Boolean).length;
  assert.ok(fired > 30 && fired < 90, `${fired} of 200 at rate 0.3`);
});

Deno.test("FaultPlan honours rate 0, times and on", () => {
  const plan = new FaultPlan({
    error5xx: { rate: 0 },
    stall: { times: 2 },
    lostAfterApply: { on: ["atomic_write"] },
  });
  assert.equal(plan.fires("error5xx", "atomic_write"), false);
  assert.deepEqual([1, 2, 3].map(() => plan.fires("stall", "snapshot_read")), [true, true, false]);
  assert.equal(plan.fires("lostAfterApply", "snapshot_read"), false);
  assert.equal(plan.fires("lostAfterApply", "metadata"), false);
  assert.equal(plan.fires("lostAfterApply", "atomic_write"), true);
});

Deno.test("FaultPlan rejects a rate outside 0..1 and a non-5xx status", () => {
  assert.throws(() => new FaultPlan({ stall: { rate: 1.5 } }), RangeError, '"stall"');
  assert.throws(() => new FaultPlan({ error5xx: { status: 404 } }), RangeError, "5xx");
});
