import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Journal, type RecoveryEvent, verifyJournal } from "../../src/wal/mod.ts";
import { lines, payloadFor } from "./_child_util.ts";
import { faultLayer, payload, readAll, segPath, withTempDir } from "./_util.ts";

const CHILD = fileURLToPath(new URL("./_child_appender.ts", import.meta.url));

async function fileSize(path: string): Promise<number> {
  return (await Deno.stat(path)).size;
}

/** A copy of a journal directory as a crash would leave it (the page cache survives a process kill). */
async function snapshot(from: string, to: string): Promise<void> {
  for await (const entry of Deno.readDir(from)) {
    if (entry.isFile) await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

Deno.test("Journal keeps zero-filled space ahead of the active segment and trims it on close", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { preallocateBytes: 64 * 1024 });
    const [first] = await journal.appendBatch([payload(1), payload(2)]);
    const end = journal.durableOffset;
    assert.equal(first.offset, 0);
    assert.equal(await fileSize(segPath(dir, 0)), end + 64 * 1024);
    const tail = (await Deno.readFile(segPath(dir, 0))).subarray(end);
    assert.ok(tail.every((b) => b === 0), "preallocated space must be zeros");
    // Appends inside the preallocated space do not grow the file.
    await journal.append(payload(3));
    assert.equal(await fileSize(segPath(dir, 0)), end + 64 * 1024);
    const written = journal.durableOffset;
    await journal.close();
    assert.equal(await fileSize(segPath(dir, 0)), written);
  });
});

Deno.test("Journal trims preallocated space before sealing a segment", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { segmentBytes: 4096, preallocateBytes: 1024 });
    const payloads = Array.from({ length: 120 }, (_, i) => payload(i, 100));
    for (const p of payloads) await journal.append(p);
    const segments = await journal.segments();
    assert.ok(segments.length >= 3, `expected rotations, got ${segments.length} segments`);
    for (const s of segments.filter((s) => s.sealed)) {
      assert.equal(await fileSize(s.path), s.end - s.base, `sealed ${s.path} holds only records`);
    }
    assert.deepEqual(await readAll(journal), payloads);
    await journal.close();
    assert.deepEqual((await verifyJournal(dir)).problems, []);
  });
});

Deno.test('Journal with preallocateBytes 0 or durability "none" never writes past its last record', async () => {
  for (const options of [{ preallocateBytes: 0 }, { durability: "none" as const }]) {
    await withTempDir(async (dir) => {
      const journal = await Journal.open(dir, options);
      const [, last] = await journal.appendBatch([payload(1), payload(2)]);
      assert.equal(await fileSize(segPath(dir, 0)), last.next, JSON.stringify(options));
      await journal.close();
    });
  }
});

Deno.test("Journal.open() rejects a negative or fractional preallocateBytes", async () => {
  await withTempDir(async (dir) => {
    for (const preallocateBytes of [-1, 1.5, NaN]) {
      await assert.rejects(
        Journal.open(dir, { preallocateBytes }),
        (e: Error) => e instanceof RangeError && e.message.includes('"preallocateBytes"'),
      );
    }
  });
});

Deno.test("Journal.open() after a crash reads zeros past the last record as the end, in every recovery mode", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { preallocateBytes: 8192 });
    const payloads = Array.from({ length: 20 }, (_, i) => payload(i));
    await journal.appendBatch(payloads);
    const end = journal.durableOffset;
    for (
      const recovery of ["absolute", "tolerate-torn-tail", "point-in-time", "skip-corrupt"] as const
    ) {
      await withTempDir(async (copy) => {
        await snapshot(dir, copy);
        assert.ok(
          await fileSize(segPath(copy, 0)) > end,
          "the crash copy holds preallocated zeros",
        );
        const events: RecoveryEvent[] = [];
        const reopened = await Journal.open(copy, { recovery, onRecovery: (e) => events.push(e) });
        assert.deepEqual(events, [], `${recovery}: zeros are not damage`);
        assert.equal(reopened.durableOffset, end);
        assert.equal(await fileSize(segPath(copy, 0)), end, `${recovery}: the zeros are cut`);
        assert.deepEqual(await readAll(reopened), payloads);
        const more = await reopened.append(payload(99));
        assert.equal(more.offset, end);
        await reopened.close();
      });
    }
    await journal.close();
  });
});

Deno.test("Journal.open() truncates a torn group that landed in preallocated space", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { preallocateBytes: 8192 });
    await journal.appendBatch([payload(1), payload(2)]);
    const end = journal.durableOffset;
    await withTempDir(async (copy) => {
      await snapshot(dir, copy);
      // The second sector of an unacknowledged group reached the disk, its first did not.
      const bytes = await Deno.readFile(segPath(copy, 0));
      bytes.fill(0xab, end + 512, end + 700);
      await Deno.writeFile(segPath(copy, 0), bytes);
      const events: RecoveryEvent[] = [];
      const reopened = await Journal.open(copy, { onRecovery: (e) => events.push(e) });
      assert.equal(events.length, 1);
      assert.equal(events[0].kind, "truncated");
      assert.equal(events[0].offset, end);
      assert.equal(events[0].reason, "zero length");
      assert.equal(reopened.durableOffset, end);
      await reopened.close();
      await snapshot(dir, copy);
      const bytes2 = await Deno.readFile(segPath(copy, 0));
      bytes2.fill(0xab, end + 512, end + 700);
      await Deno.writeFile(segPath(copy, 0), bytes2);
      await assert.rejects(Journal.open(copy, { recovery: "absolute" }), /zero length/);
    });
    await journal.close();
  });
});

Deno.test("verifyJournal() of a running writer does not report its preallocated space", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { segmentBytes: 2048, preallocateBytes: 1024 });
    const results = await journal.appendBatch(Array.from({ length: 30 }, (_, i) => payload(i)));
    const last = results[results.length - 1].next;
    const report = await verifyJournal(dir);
    assert.deepEqual(report.problems, []);
    assert.equal(report.records, 30);
    assert.equal(report.bytes, last);
    await journal.close();
  });
});

Deno.test("Journal skips preallocation that hits ENOSPC and still lands the records that fit", async () => {
  await withTempDir(async (dir) => {
    const fs = faultLayer();
    const journal = await Journal.open(dir, { fs, preallocateBytes: 4096, segmentBytes: 8192 });
    let refused = 0;
    // The disk has room for records but not for a zero fill.
    fs.refuseWrite = (bytes) =>
      bytes.length > 0 && bytes.every((b) => b === 0)
        ? (refused++, new Error("ENOSPC: no space left on device (injected)"))
        : null;
    const payloads = Array.from({ length: 40 }, (_, i) => payload(i, 300));
    for (const p of payloads) await journal.append(p);
    assert.ok(refused >= 2, `zero fills refused: ${refused}`);
    assert.ok((await journal.segments()).length >= 2, "the journal rotated at least once");
    for (const s of await journal.segments()) {
      assert.equal((await Deno.stat(s.path)).size, s.end - s.base, "no space beyond the records");
    }
    assert.deepEqual(await readAll(journal), payloads);
    // Preallocation comes back once zero fills succeed again (in the next segment).
    fs.refuseWrite = null;
    while ((await journal.segments()).length < 4) await journal.append(payload(1, 300));
    const active = (await journal.segments()).at(-1)!;
    assert.ok((await Deno.stat(active.path)).size > active.end - active.base);
    await journal.close();
    const reopened = await Journal.open(dir, { verify: "full" });
    assert.deepEqual((await readAll(reopened)).slice(0, 40), payloads);
    await reopened.close();
  });
});

Deno.test("Journal.open() after SIGKILL of a writer cuts its preallocated zeros and reports no torn tail", async () => {
  await withTempDir(async (dir) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CHILD, dir, "0", String(64 * 1024 * 1024), "always"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const acks: { offset: number; task: number; seq: number }[] = [];
    for await (const line of lines(child.stdout)) {
      const fields = line.split(" ");
      if (fields[0] === "open") continue;
      const [offset, , , task, seq] = fields.map(Number);
      acks.push({ offset, task, seq });
      if (acks.length === 2000) child.kill("SIGKILL");
    }
    assert.equal((await child.status).signal, "SIGKILL");
    assert.ok(await fileSize(segPath(dir, 0)) > Math.max(...acks.map((a) => a.offset)));
    const events: RecoveryEvent[] = [];
    const journal = await Journal.open(dir, { onRecovery: (e) => events.push(e) });
    // A killed process loses no part of a write(): every group reached the page
    // cache whole, so what follows the last record can only be preallocated zeros.
    assert.deepEqual(events, [], "zeros past the last record are not a torn tail");
    assert.equal(await fileSize(segPath(dir, 0)), journal.durableOffset);
    for (const ack of acks) {
      const record = await journal.read(ack.offset);
      assert.deepEqual(record.payload, payloadFor([0, ack.task, ack.seq]));
    }
    await journal.close();
  });
});
