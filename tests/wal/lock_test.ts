import assert from "node:assert/strict";
import { Journal, JournalLockedError } from "../../src/wal/mod.ts";
import { payload, withTempDir } from "./_util.ts";

Deno.test("Journal.open() fails clearly for a second writer in the same process", async () => {
  await withTempDir(async (dir) => {
    const first = await Journal.open(dir);
    await assert.rejects(Journal.open(dir), (e: unknown) => {
      assert.ok(e instanceof JournalLockedError);
      assert.equal(e.dir, dir);
      assert.equal(
        e.message,
        `Cannot open journal "${dir}": locked by another writer (pid ${Deno.pid})`,
      );
      assert.equal(e.holderPid, Deno.pid);
      return true;
    });
    // The same directory spelled differently is still the same journal.
    await assert.rejects(Journal.open(`${dir}/./`), JournalLockedError);
    await first.append(payload(1));
    await first.close();
    const second = await Journal.open(dir);
    await second.close();
  });
});

Deno.test("Journal.open({ readOnly: true }) succeeds while a writer holds the lock", async () => {
  await withTempDir(async (dir) => {
    const writer = await Journal.open(dir);
    const { offset } = await writer.append(payload(1));
    const reader = await Journal.open(dir, { readOnly: true });
    assert.equal(reader.readOnly, true);
    assert.deepEqual((await reader.read(offset)).payload, payload(1));
    await assert.rejects(reader.append(payload(2)), TypeError);
    await reader.close();
    await writer.close();
  });
});

Deno.test("Journal.open() fails clearly for a second writer in another process", async () => {
  await withTempDir(async (dir) => {
    const writer = await Journal.open(dir);
    const mod = new URL("../../src/wal/mod.ts", import.meta.url).href;
    const script = `
      import { Journal, JournalLockedError } from ${JSON.stringify(mod)};
      try { await Journal.open(${JSON.stringify(dir)}); console.log("opened"); }
      catch (e) { console.log(e instanceof JournalLockedError ? "locked: " + e.message : "other: " + e); }
    `;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", script],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    // The refused process names the holder by the pid it wrote into LOCK.
    assert.equal(
      text,
      `locked: Cannot open journal "${dir}": locked by another writer (pid ${Deno.pid})`,
    );
    await writer.close();
  });
});

/** Hold `dir`'s lock outside any journal, as this process: what a child being spawned holds. */
async function holdLockAsThisProcess(dir: string): Promise<Deno.FsFile> {
  const file = await Deno.open(`${dir}/LOCK`, { read: true, write: true, create: true });
  await file.lock(true);
  await file.truncate(0);
  await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  return file;
}

Deno.test("Journal.open() waits out its own lock held a moment longer by another description (a child between fork and exec)", async () => {
  await withTempDir(async (dir) => {
    await (await Journal.open(dir)).close();
    const held = await holdLockAsThisProcess(dir);
    setTimeout(() => held.close(), 100);
    const started = performance.now();
    const journal = await Journal.open(dir);
    assert.ok(performance.now() - started >= 90, "it waited for the release");
    await journal.close();
  });
});

Deno.test("Journal.open() refuses naming this process when its lock stays held by another description", async () => {
  await withTempDir(async (dir) => {
    await (await Journal.open(dir)).close();
    const held = await holdLockAsThisProcess(dir);
    try {
      await assert.rejects(Journal.open(dir), (e: unknown) => {
        assert.ok(e instanceof JournalLockedError, String(e));
        assert.equal(e.holderPid, Deno.pid);
        return true;
      });
    } finally {
      held.close();
    }
  });
});
