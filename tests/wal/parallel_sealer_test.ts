import assert from "node:assert/strict";
import { loadHashers } from "../../src/wal/checksums.ts";
import { PARALLEL_MIN_BYTES, ParallelSealer } from "../../src/wal/parallel_sealer.ts";
import { encodeRecord, placeRecord } from "../../src/wal/record_codec.ts";
import { Journal } from "../../src/wal/mod.ts";
import { payload, readAll, withTempDir } from "./_util.ts";

Deno.test("ParallelSealer seals large groups on a worker byte-identically to encodeRecord()", async () => {
  const h = await loadHashers();
  const sealer = new ParallelSealer(h);
  try {
    const payloads = Array.from({ length: 400 }, (_, i) => payload(i, 100 + (i % 300)));
    const expected = new Uint8Array(payloads.reduce((n, p) => n + 40 + p.length, 0));
    let at = 0;
    for (const p of payloads) at = encodeRecord(h, p, expected, at);
    assert.ok(expected.length >= PARALLEL_MIN_BYTES);
    let usedWorker = false;
    for (let round = 0; round < 200 && !usedWorker; round++) {
      usedWorker = sealer.parallel;
      const buf = new Uint8Array(new SharedArrayBuffer(expected.length));
      const starts: number[] = [];
      let pos = 0;
      for (const p of payloads) {
        starts.push(pos);
        pos = placeRecord(p, buf, pos);
      }
      sealer.seal(buf, starts, pos);
      assert.deepEqual(buf, expected);
      if (!usedWorker) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(usedWorker, "the worker never became ready");
  } finally {
    sealer.close();
  }
});

Deno.test("Journal.appendBatch() of a large batch reads back intact with the worker sealing", async () => {
  await withTempDir(async (dir) => {
    const journal = await Journal.open(dir, { segmentBytes: 200_000 });
    const all: Uint8Array[] = [];
    for (let round = 0; round < 20; round++) {
      const batch = Array.from(
        { length: 300 },
        (_, i) => payload(round * 1000 + i, 200 + (i % 100)),
      );
      all.push(...batch);
      const results = await journal.appendBatch(batch);
      for (let i = 0; i < batch.length; i += 37) {
        const r = await journal.read(results[i].offset);
        assert.deepEqual(r.payload, batch[i]);
        assert.deepEqual(r.digest, results[i].digest);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await journal.close();
    const reopened = await Journal.open(dir, { segmentBytes: 200_000, verify: "full" });
    assert.deepEqual(await readAll(reopened), all);
    await reopened.close();
  });
});

Deno.test("a writer left open with its sealing worker running does not keep the process alive", async () => {
  await withTempDir(async (dir) => {
    const mod = new URL("../../src/wal/mod.ts", import.meta.url).href;
    const script = `
      import { Journal } from ${JSON.stringify(mod)};
      const journal = await Journal.open(${JSON.stringify(dir)});
      const batch = Array.from({ length: 400 }, () => new Uint8Array(256));
      for (let i = 0; i < 5; i++) {
        await journal.appendBatch(batch);
        await new Promise((r) => setTimeout(r, 100));
      }
      console.log("appended");
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", script],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const out = await child.output();
    clearTimeout(timer);
    assert.equal(new TextDecoder().decode(out.stdout).trim(), "appended");
    assert.equal(out.code, 0, "the process did not exit on its own");
  });
});
