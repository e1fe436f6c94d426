import assert from "node:assert/strict";
import { contentHash } from "../../src/records/mod.ts";
import { Ingestor } from "../../src/ingest/mod.ts";
import { Journal } from "../../src/wal/mod.ts";
import { assertionPayload, openEnv } from "./_helpers.ts";
import type { KvStore } from "../../src/store/mod.ts";

async function waitFor(store: KvStore, hash: string, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while ((await store.getAssertion(hash)) === null) {
    if (performance.now() - start > timeoutMs) throw new Error(`Timed out waiting for "${hash}"`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return performance.now() - start;
}

Deno.test("Ingestor.start() over this process's writer wakes on each durable append, not the poll", async () => {
  await using env = await openEnv();
  const ingestor = new Ingestor(env.journal, env.store, { pollIntervalMs: 60_000 });
  ingestor.start();
  try {
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the first pass finish and sleep
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const payload = assertionPayload(i);
      await env.journal.append(payload);
      times.push(await waitFor(env.store, await contentHash(payload), 10_000));
    }
    console.log(`append → queryable: ${times.map((t) => t.toFixed(1)).join(", ")} ms`);
    assert.ok(Math.max(...times) < 2_000, "woken by journal.onDurable(), not the 60 s poll");
  } finally {
    const start = performance.now();
    await ingestor.stop();
    assert.ok(performance.now() - start < 1_000, "stop() returns promptly");
  }
  assert.equal(ingestor.running, false);
});

Deno.test("Ingestor.start() over a read-only journal wakes through Deno.watchFs, not the poll", async () => {
  await using env = await openEnv();
  const reader = await Journal.open(env.journalDir, { readOnly: true });
  const ingestor = new Ingestor(reader, env.store, { pollIntervalMs: 60_000 });
  ingestor.start();
  try {
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the first pass finish and sleep
    for (let i = 0; i < 3; i++) {
      const payload = assertionPayload(i);
      await env.journal.append(payload);
      const ms = await waitFor(env.store, await contentHash(payload), 10_000);
      assert.ok(ms < 2_000, `woken by Deno.watchFs, not the 60 s poll (took ${ms} ms)`);
    }
  } finally {
    await ingestor.stop();
    await reader.close();
  }
});

Deno.test("Ingestor.start() without watching still ingests on its poll interval", async () => {
  await using env = await openEnv();
  const ingestor = new Ingestor(env.journal, env.store, { pollIntervalMs: 20, watch: false });
  ingestor.start();
  ingestor.start(); // a second start() is a no-op
  try {
    const payload = assertionPayload(1);
    await env.journal.append(payload);
    await waitFor(env.store, await contentHash(payload), 10_000);
  } finally {
    await ingestor.stop();
  }
});

Deno.test("Ingestor's background loop stops when options.signal aborts", async () => {
  await using env = await openEnv();
  const controller = new AbortController();
  const ingestor = new Ingestor(env.journal, env.store, {
    pollIntervalMs: 10,
    signal: controller.signal,
  });
  ingestor.start();
  assert.equal(ingestor.running, true);
  await env.journal.append(assertionPayload(1));
  controller.abort();
  await ingestor.stop(); // resolves once the loop and its watcher are gone
  assert.equal(ingestor.running, false);
  ingestor.start(); // an aborted signal keeps it stopped
  assert.equal(ingestor.running, false);
});

Deno.test("Ingestor's background loop reports errors to onError and carries on", async () => {
  await using env = await openEnv();
  const errors: unknown[] = [];
  let fail = 2;
  const store = new Proxy(env.store, {
    get(target, prop) {
      if (prop === "readCursor" && fail > 0) {
        return () => {
          fail--;
          return Promise.reject(new Error("Cannot read cursor: injected failure"));
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  const ingestor = new Ingestor(env.journal, store, {
    pollIntervalMs: 5,
    onError: (e) => errors.push(e),
  });
  const payload = assertionPayload(1);
  await env.journal.append(payload);
  ingestor.start();
  try {
    await waitFor(env.store, await contentHash(payload), 10_000);
  } finally {
    await ingestor.stop();
  }
  assert.equal(errors.length, 2);
});
