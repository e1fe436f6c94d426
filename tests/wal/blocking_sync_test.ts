import assert from "node:assert/strict";
import { Journal } from "../../src/wal/mod.ts";
import { faultLayer, payload, readAll, withTempDir } from "./_util.ts";

/**
 * Let the event loop turn before the next append. A flush may block only while
 * no turn is due (TURN_MS since the flusher last saw the loop turn); appends
 * awaited back to back never turn it, so on a loaded machine a few of them
 * would make a turn due and the flush go async, which is the fair-scheduling
 * rule at work, not the behaviour these tests are about.
 */
function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1));
}

/** Block this thread for `ms` milliseconds, as a slow device flush would. */
function stall(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

Deno.test("Journal syncs on Deno's thread pool by default, never blocking the event loop", async () => {
  await withTempDir(async (dir) => {
    const fs = faultLayer();
    const journal = await Journal.open(dir, { fs });
    for (let i = 0; i < 5; i++) await journal.append(payload(i));
    await journal.close();
    assert.ok(fs.syncKinds.length >= 5);
    assert.ok(fs.syncKinds.every((kind) => kind === "async"), fs.syncKinds.join(","));
  });
});

Deno.test("Journal with blockingSyncMs flushes each group with a blocking fdatasync while flushes are quick", async () => {
  await withTempDir(async (dir) => {
    const fs = faultLayer();
    const journal = await Journal.open(dir, { fs, blockingSyncMs: 60_000 });
    fs.syncKinds.length = 0;
    const appended = [];
    for (let i = 0; i < 5; i++) {
      await turn();
      appended.push(await journal.append(payload(i)));
    }
    await turn();
    await Promise.all([journal.append(payload(5)), journal.append(payload(6))]);
    assert.deepEqual(fs.syncKinds, Array(6).fill("blocking"), "one blocking flush per group");
    // Acknowledged means durable and published, as with async flushes.
    assert.equal(journal.durableOffset, (await journal.segments())[0].end);
    assert.deepEqual(await readAll(journal), Array.from({ length: 7 }, (_, i) => payload(i)));
    await journal.close();
  });
});

Deno.test("Journal with blockingSyncMs goes back to async flushes after a slow one, until one is quick again", async () => {
  await withTempDir(async (dir) => {
    const fs = faultLayer();
    const journal = await Journal.open(dir, { fs, blockingSyncMs: 20 });
    fs.syncKinds.length = 0;
    await journal.append(payload(0)); // quick: the next flush may block
    let slow = true;
    fs.beforeSync = (kind) => {
      if (kind === "blocking" && slow) {
        slow = false;
        stall(60);
      }
    };
    await turn();
    await journal.append(payload(1)); // blocks, and takes longer than the bound
    await turn();
    await journal.append(payload(2)); // so this one is async (and quick)
    await turn();
    await journal.append(payload(3)); // so this one blocks again
    assert.deepEqual(fs.syncKinds, ["blocking", "blocking", "async", "blocking"]);
    await journal.close();
    const reopened = await Journal.open(dir);
    assert.deepEqual(await readAll(reopened), [0, 1, 2, 3].map((i) => payload(i)));
    await reopened.close();
  });
});

Deno.test("Journal with blockingSyncMs uses async flushes on a file layer without syncDataSync", async () => {
  await withTempDir(async (dir) => {
    const fs = faultLayer();
    const open = fs.open;
    fs.open = async (path, options) => {
      const file = await open(path, options);
      delete file.syncDataSync;
      return file;
    };
    const journal = await Journal.open(dir, { fs, blockingSyncMs: 60_000 });
    await journal.append(payload(1));
    await journal.close();
    assert.ok(fs.syncKinds.length > 0);
    assert.ok(fs.syncKinds.every((kind) => kind === "async"), fs.syncKinds.join(","));
  });
});

Deno.test('Journal with blockingSyncMs also blocks for the timer flushes of durability "interval"', async () => {
  await withTempDir(async (dir) => {
    const fs = faultLayer();
    const journal = await Journal.open(dir, {
      fs,
      durability: "interval",
      syncIntervalMs: 5,
      blockingSyncMs: 60_000,
    });
    fs.syncKinds.length = 0;
    const { next } = await journal.append(payload(1));
    for (let i = 0; i < 400 && journal.durableOffset < next; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(journal.durableOffset, next, "the interval timer published the append");
    assert.deepEqual(fs.syncKinds, ["blocking"]);
    await journal.close();
  });
});

Deno.test("Journal.open() rejects a negative or non-finite blockingSyncMs, naming the option", async () => {
  await withTempDir(async (dir) => {
    for (const blockingSyncMs of [-1, NaN, Infinity]) {
      await assert.rejects(
        Journal.open(dir, { blockingSyncMs }),
        (e: Error) => e instanceof RangeError && e.message.includes('"blockingSyncMs"'),
      );
    }
  });
});
