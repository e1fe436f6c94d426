// The ingestor on a worker thread of the process: a real worker, a real
// journal written on this thread and read on that one, and a real Deno KV
// file both threads open.
import assert from "node:assert/strict";
import { CorruptJournalError, Journal } from "../../src/wal/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import { Ingestor, IngestThread, IngestWaitError } from "../../src/ingest/mod.ts";
import { contentHash } from "../../src/records/mod.ts";
import { assertAppliedOnce, assertionPayload } from "./_helpers.ts";
import { writeMixedLog } from "./_log.ts";
import { readLines, spawnChild } from "./_process.ts";

/** A temp dir with a journal (its writer) and a store on a local KV file. */
async function openLocal(
  segmentBytes?: number,
): Promise<{ dir: string; kv: string; journal: Journal; store: KvStore } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "stemedb-ingest-thread-" });
  const kv = `${dir}/kv.sqlite`;
  const journal = await Journal.open(`${dir}/wal`, { segmentBytes });
  const store = await KvStore.open(kv);
  return {
    dir,
    kv,
    journal,
    store,
    async [Symbol.asyncDispose]() {
      store.close();
      await journal.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("IngestThread applies records appended on the writer's thread; waitFor() answers once the thread has committed them", async () => {
  await using env = await openLocal();
  const thread = await IngestThread.start(env.journal, env.store, { kv: env.kv });
  try {
    assert.equal(thread.running, true);
    const payloads = Array.from({ length: 50 }, (_, i) => assertionPayload(i));
    const results = await env.journal.appendBatch(payloads);
    const last = results[results.length - 1];
    await thread.waitFor(last.offset, { timeoutMs: 10_000 });
    // Committed by the thread, read here through this thread's own store handle.
    assert.equal((await env.store.readCursor(env.journal.id)).offset, last.next);
    for (const payload of [payloads[0], payloads[49]]) {
      assert.notEqual(await env.store.getAssertion(await contentHash(payload)), null);
    }
    // A record already applied: at once.
    await thread.waitFor(results[0].offset, { timeoutMs: 0 });
    // One appended later wakes the thread (no poll needed: its interval is the default 250 ms).
    const t0 = performance.now();
    const { offset } = await env.journal.append(assertionPayload(50));
    await thread.waitFor(offset, { timeoutMs: 10_000 });
    assert.ok(performance.now() - t0 < 5_000);
    await assertAppliedOnce(env.journal, env.store);
  } finally {
    await thread.stop();
  }
  assert.equal(thread.running, false);
  assert.equal(thread.failure, null);
});

Deno.test("IngestThread.stop() lets the thread commit its pass and end; waits after it reject as stopped", async () => {
  await using env = await openLocal();
  const thread = await IngestThread.start(env.journal, env.store, { kv: env.kv, batchRecords: 10 });
  await writeMixedLog(env.journal, 600);
  await thread.stop();
  await thread.stop(); // idempotent
  const cursor = (await env.store.readCursor(env.journal.id)).offset ?? env.journal.firstOffset;
  // What it left is applied by the next ingestor, each record once.
  await new Ingestor(env.journal, env.store).runOnce();
  await assertAppliedOnce(env.journal, env.store);
  assert.ok(cursor <= env.journal.durableOffset);
  const { offset } = await env.journal.append(assertionPayload(9999));
  await assert.rejects(
    thread.waitFor(offset, { timeoutMs: 5_000 }),
    (e) => e instanceof IngestWaitError && e.kind === "stopped",
  );
});

Deno.test("IngestThread reports a stall in a sealed segment on the writer's thread, sticky, and stop() still ends it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stemedb-ingest-thread-" });
  try {
    const writer = await Journal.open(`${dir}/wal`, { segmentBytes: 4096 });
    for (let i = 0; i < 200; i++) await writer.append(assertionPayload(i));
    const sealed = (await writer.segments()).filter((s) => s.sealed);
    await writer.close();
    const bytes = await Deno.readFile(sealed[1].path);
    bytes[bytes.length - 10] ^= 0xff; // inside the segment's last record payload
    await Deno.writeFile(sealed[1].path, bytes);
    // The writer opens it in the default mode: only the reader, on the thread, meets the damage.
    const journal = await Journal.open(`${dir}/wal`, { segmentBytes: 4096 });
    const store = await KvStore.open(`${dir}/kv.sqlite`);
    const errors: Error[] = [];
    const thread = await IngestThread.start(journal, store, {
      kv: `${dir}/kv.sqlite`,
      pollIntervalMs: 5,
      onError: (e) => errors.push(e as Error),
    });
    try {
      const end = journal.durableOffset;
      await assert.rejects(
        thread.waitFor(end - 1, { timeoutMs: 10_000 }),
        (e) => e instanceof IngestWaitError && e.kind === "failed",
      );
      assert.equal(thread.stalled?.kind, "corrupt-journal");
      assert.equal(thread.stalled?.file, sealed[1].path);
      assert.equal(errors.length, 1);
      assert.equal(errors[0].name, CorruptJournalError.name);
      // Sticky: the thread reads no further, the stall stays, nothing else is reported.
      const cursor = (await store.readCursor(journal.id)).offset!;
      assert.ok(cursor <= thread.stalled!.offset);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(thread.stalled?.kind, "corrupt-journal");
      assert.equal(errors.length, 1);
      assert.equal((await store.readCursor(journal.id)).offset, cursor);
      assert.equal(thread.running, true);
    } finally {
      await thread.stop();
      store.close();
      await journal.close();
    }
    assert.equal(thread.running, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("IngestThread.start() rejects a read-only journal with a TypeError, and a store it cannot open naming the journal", async () => {
  await using env = await openLocal();
  const reader = await Journal.open(`${env.dir}/wal`, { readOnly: true });
  try {
    await assert.rejects(
      IngestThread.start(reader, env.store, { kv: env.kv }),
      (e) => e instanceof TypeError && /read-only/.test(e.message),
    );
  } finally {
    await reader.close();
  }
  // A directory where the KV file should be.
  await assert.rejects(
    IngestThread.start(env.journal, env.store, { kv: env.dir }),
    (e) =>
      e instanceof Error &&
      e.message.startsWith(`Cannot start an ingest thread of journal "${env.journal.dir}"`),
  );
});

Deno.test("IngestThread cleans up sealed segments the thread has read, on the writer's thread", async () => {
  await using env = await openLocal(4096);
  const thread = await IngestThread.start(env.journal, env.store, { kv: env.kv, cleanup: true });
  try {
    let last = 0;
    for (let i = 0; i < 300; i++) last = (await env.journal.append(assertionPayload(i))).offset;
    // Several rotations (the thread may have had some deleted already).
    assert.ok((await env.journal.segments()).at(-1)!.base >= 3 * 4096);
    await thread.waitFor(last, { timeoutMs: 10_000 });
    const deadline = Date.now() + 10_000;
    while ((await env.journal.segments()).length > 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const segments = await env.journal.segments();
    assert.equal(segments.length, 1, "only the active segment is left");
    assert.equal(segments[0].sealed, false);
  } finally {
    await thread.stop();
  }
});

Deno.test("IngestThread applies each record once after SIGKILL of its process mid-pass", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stemedb-ingest-thread-" });
  try {
    const journalDir = `${dir}/wal`;
    const kvPath = `${dir}/kv.sqlite`;
    const writer = await Journal.open(journalDir);
    const written = await writeMixedLog(writer, 1500);
    await writer.close();
    const seed = crypto.getRandomValues(new Uint32Array(1))[0];
    let state = seed;
    const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    console.log(`seed ${seed}`);
    let kills = 0;
    let finished = false;
    const cursors: number[] = [];
    for (let round = 0; round < 6 && !finished; round++) {
      // Small commits (7 records) so a kill lands mid-pass.
      const child = spawnChild("_child_ingest_thread.ts", [journalDir, kvPath, "7"]);
      const lines = readLines(child.stdout);
      const take = (line: string) => {
        if (line === "done") finished = true;
        if (line.startsWith("cursor ")) cursors.push(Number(line.slice(7)));
      };
      // After "ready" and 1-3 cursor moves, a random 0-10 ms later.
      const wait = 2 + Math.floor(random() * 3);
      for (let i = 0; i < wait; i++) {
        const next = await lines.next();
        if (next.done) break;
        take(next.value);
      }
      await new Promise((resolve) => setTimeout(resolve, random() * 10));
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited (it caught up).
      }
      for await (const line of lines) take(line);
      if ((await child.status).signal === "SIGKILL") kills++;
    }
    assert.ok(kills >= 3, `killed ${kills} times before the log was done`);
    for (let i = 1; i < cursors.length; i++) {
      assert.ok(cursors[i] >= cursors[i - 1], "the committed cursor never moves back");
    }
    const journal = await Journal.open(journalDir);
    const store = await KvStore.open(kvPath);
    try {
      const report = await new Ingestor(journal, store).runOnce();
      assert.equal(report.caughtUp, true);
      await assertAppliedOnce(journal, store);
      console.log(`${kills} kills, final pass applied ${report.applied} of ${written.records}`);
    } finally {
      store.close();
      await journal.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
