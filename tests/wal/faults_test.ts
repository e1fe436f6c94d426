import assert from "node:assert/strict";
import { Journal, JournalIOError } from "../../src/wal/mod.ts";
import { faultLayer, payload, readAll, withTempDir } from "./_util.ts";

const eio = () => new Deno.errors.Interrupted("EIO: input/output error (injected)");

for (const fault of ["write", "fdatasync", "blocking fdatasync", "partial write"] as const) {
  Deno.test(`Journal poisons the writer when ${fault === "fdatasync" ? "an" : "a"} ${fault} fails and reopen recovers`, async () => {
    await withTempDir(async (dir) => {
      const fs = faultLayer();
      const blocking = fault === "blocking fdatasync";
      const journal = await Journal.open(dir, { fs, blockingSyncMs: blocking ? 60_000 : 0 });
      const acked = [];
      for (let i = 0; i < 5; i++) acked.push(await journal.append(payload(i)));
      if (fault === "write") fs.failWrite = eio();
      if (fault === "fdatasync" || blocking) fs.failSync = eio();
      if (fault === "partial write") fs.failAfterBytes = 30;
      const affected = await Promise.allSettled([
        journal.append(payload(10)),
        journal.append(payload(11)),
        journal.appendBatch([payload(12), payload(13)]),
      ]);
      for (const r of affected) {
        assert.equal(r.status, "rejected");
        assert.ok((r as PromiseRejectedResult).reason instanceof JournalIOError);
      }
      const sticky = (affected[0] as PromiseRejectedResult).reason;
      assert.match(sticky.message, /failed to (write|sync) segment/);
      fs.failWrite = null;
      fs.failSync = null;
      fs.failAfterBytes = null;
      // Sticky: later appends fail the same way even though the fault is gone.
      await assert.rejects(journal.append(payload(20)), (e) => e === sticky);
      // The log stays readable up to what was acknowledged.
      assert.equal(journal.durableOffset, acked[4].next);
      assert.deepEqual(await readAll(journal), acked.map((_, i) => payload(i)));
      await journal.close();

      const reopened = await Journal.open(dir);
      const read = await readAll(reopened);
      assert.deepEqual(read.slice(0, 5), acked.map((_, i) => payload(i)));
      // a failed write left nothing valid
      if (fault === "write" || fault === "partial write") assert.equal(read.length, 5);
      if (blocking) {
        assert.ok(fs.syncKinds.includes("blocking"), "the failed flush was the blocking one");
      }
      const next = await reopened.append(payload(30));
      assert.deepEqual((await reopened.read(next.offset)).payload, payload(30));
      await reopened.close();
    });
  });
}

Deno.test("Journal poisons the writer when ENOSPC hits during rotation", async () => {
  await withTempDir(async (dir) => {
    const fs = faultLayer();
    const journal = await Journal.open(dir, { fs, segmentBytes: 200 });
    const first = await journal.append(payload(1, 100));
    fs.failSync = new Error("ENOSPC: no space left on device (injected)");
    await assert.rejects(journal.append(payload(2, 100)), JournalIOError);
    fs.failSync = null;
    await journal.close();
    const reopened = await Journal.open(dir, { segmentBytes: 200 });
    assert.deepEqual((await readAll(reopened))[0], payload(1, 100));
    assert.equal((await reopened.read(first.offset)).next, first.next);
    await reopened.close();
  });
});
