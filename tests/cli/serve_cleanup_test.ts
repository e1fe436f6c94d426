import assert from "node:assert/strict";
import { isJson, spawnStemedb, stemedb, tempData } from "./_cli.ts";
import { KvStore } from "../../src/store/mod.ts";

const SEGMENT = 4096;

async function walBytes(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for await (const e of Deno.readDir(dir)) {
    if (!e.name.endsWith(".wal")) continue;
    // Cleanup may remove a segment between the listing and the stat.
    const size = await Deno.stat(`${dir}/${e.name}`).then((s) => s.size, () => null);
    if (size === null) continue;
    files++;
    bytes += size;
  }
  return { files, bytes };
}

function batch(from: number, n: number): string {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      subject: `Clean${from + i}`,
      predicate: "n",
      object: "x".repeat(100),
      source: "test",
      confidence: 0.5,
      timestamp: from + i,
    })).join("\n") + "\n";
}

async function post(url: string, from: number, n: number): Promise<{ hash: string }[]> {
  const r = await fetch(`${url}/assertions?wait=ingested`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body: batch(from, n),
  });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get("stemedb-ingested"), "true");
  return await r.json();
}

Deno.test("serve removes sealed segments every consumer has read: through 100 segments the journal stays a few segments and every record stays queryable", async () => {
  await using data = await tempData();
  const server = spawnStemedb([
    "serve",
    "--port",
    "0",
    "--json",
    "--segment-bytes",
    String(SEGMENT),
    "--data",
    data.dir,
  ]);
  const hashes: string[] = [];
  let largest = 0;
  try {
    const { url } = JSON.parse(await server.waitFor(isJson));
    for (let round = 0; round < 100; round++) {
      hashes.push(...(await post(url, round * 30, 30)).map((r) => r.hash));
      largest = Math.max(largest, (await walBytes(`${data.dir}/wal`)).bytes);
      const status = await (await fetch(`${url}/status`)).json();
      // Nothing unread is removed: the oldest byte kept is at or below the cursor.
      assert.ok(status.journal.firstOffset <= status.ingest.cursor);
    }
    const status = await (await fetch(`${url}/status`)).json();
    assert.ok(status.journal.durableOffset > 100 * SEGMENT, "the run went through 100 segments");
  } finally {
    const run = await server.finish("SIGTERM");
    assert.equal(run.code, 0, run.stderr);
  }
  assert.ok(largest <= 4 * SEGMENT + (1 << 20), `journal stayed bounded (${largest} bytes)`);
  const store = await KvStore.open(`${data.dir}/kv.sqlite`);
  try {
    for (const hash of hashes) assert.notEqual(await store.getAssertion(hash), null);
  } finally {
    store.close();
  }
  assert.equal((await stemedb(["verify", "--data", data.dir])).code, 0);
});

Deno.test("serve --retention keeps read segments: a size keeps that many bytes, a duration keeps them all until it passes", async () => {
  for (const [retention, expect] of [["20KiB", "bounded"], ["1h", "all"]] as const) {
    await using data = await tempData();
    const server = spawnStemedb([
      "serve",
      "--port",
      "0",
      "--json",
      "--segment-bytes",
      String(SEGMENT),
      "--retention",
      retention,
      "--data",
      data.dir,
    ]);
    try {
      const info = JSON.parse(await server.waitFor(isJson));
      assert.equal(info.retention, retention === "20KiB" ? "20480 bytes" : "1h");
      for (let round = 0; round < 40; round++) await post(info.url, round * 20, 20);
      const status = await (await fetch(`${info.url}/status`)).json();
      if (expect === "all") assert.equal(status.journal.firstOffset, 0);
      else {
        const kept = status.ingest.cursor - status.journal.firstOffset;
        assert.ok(kept >= 20 * 1024, `kept ${kept} bytes`);
        assert.ok(kept <= 20 * 1024 + 3 * SEGMENT, `kept ${kept} bytes`);
      }
    } finally {
      const run = await server.finish("SIGTERM");
      assert.equal(run.code, 0, run.stderr);
    }
  }
});

Deno.test("serve rejects a retention that is neither a duration nor a size with exit code 2", async () => {
  const run = await stemedb(["serve", "--retention", "forever"]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /Invalid retention "forever"/);
});

Deno.test("serve keeps every segment a registered consumer has not read, and removes them once it moves past", async () => {
  await using data = await tempData();
  const server = spawnStemedb([
    "serve",
    "--port",
    "0",
    "--json",
    "--segment-bytes",
    String(SEGMENT),
    "--data",
    data.dir,
  ]);
  const store = await KvStore.open(`${data.dir}/kv.sqlite`);
  try {
    const info = JSON.parse(await server.waitFor(isJson));
    await post(info.url, 0, 1);
    await store.setConsumer(info.journal.id, "audit", 0);
    for (let round = 0; round < 20; round++) await post(info.url, 1 + round * 30, 30);
    let status = await (await fetch(`${info.url}/status`)).json();
    assert.equal(status.journal.firstOffset, 0, "the lagging consumer holds every segment");
    assert.ok(status.journal.segments.length > 20);
    await store.setConsumer(info.journal.id, "audit", status.ingest.cursor);
    await post(info.url, 10_000, 1);
    // Cleanup runs after the commit that the wait saw, so it may land a moment later.
    const deadline = Date.now() + 10_000;
    do {
      status = await (await fetch(`${info.url}/status`)).json();
      if (status.journal.segments.length <= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } while (Date.now() < deadline);
    assert.ok(status.journal.segments.length <= 2, `${status.journal.segments.length} segments`);
  } finally {
    store.close();
    const run = await server.finish("SIGTERM");
    assert.equal(run.code, 0, run.stderr);
  }
});
