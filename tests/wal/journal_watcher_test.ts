import assert from "node:assert/strict";
import { Journal, JournalWatcher } from "../../src/wal/mod.ts";
import { payload, withTempDir } from "./_util.ts";

Deno.test("JournalWatcher calls back when a writer makes records durable, not for other files of the directory", async () => {
  await withTempDir(async (dir) => {
    const writer = await Journal.open(dir);
    let calls = 0;
    let woken = Promise.withResolvers<void>();
    const watcher = new JournalWatcher(dir, () => {
      calls++;
      woken.resolve();
    });
    try {
      // Events of files that are not journal data: a stray file and the metadata's temp name.
      await Deno.writeTextFile(`${dir}/notes.txt`, "not journal data");
      await Deno.writeTextFile(`${dir}/journal.json.tmp`, "{}");
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(calls, 0);
      await writer.append(payload(1));
      await woken.promise;
      assert.ok(calls >= 1);
      woken = Promise.withResolvers<void>();
      await writer.append(payload(2));
      await woken.promise;
    } finally {
      await watcher.close();
      await writer.close();
    }
  });
});

Deno.test("JournalWatcher.close() resolves when the directory is already gone, and twice", async () => {
  const dir = await Deno.makeTempDir();
  const watcher = new JournalWatcher(dir, () => {});
  await Deno.remove(dir, { recursive: true });
  await watcher.close();
  await watcher.close();
});
