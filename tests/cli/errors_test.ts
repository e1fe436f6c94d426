/** Errors a first-time user meets, each naming what went wrong and the next step. */

import assert from "node:assert/strict";
import {
  assertionJson,
  isJson,
  json,
  ndjson,
  ROOT,
  spawnStemedb,
  stemedb,
  tempData,
} from "./_cli.ts";

Deno.test("A second writer is refused naming the holder's pid and what to do instead", async () => {
  await using data = await tempData();
  const server = spawnStemedb(["serve", "--port", "0", "--json", "--data", data.dir]);
  try {
    await server.waitFor(isJson);
    const stdin = ndjson([assertionJson("Locked", "out", true)]);
    const append = await stemedb(["append", "--data", data.dir], { stdin });
    assert.equal(append.code, 1);
    assert.ok(
      append.stderr.includes(`locked by another writer (pid ${server.child.pid})`),
      append.stderr,
    );
    assert.ok(append.stderr.includes(`stop process ${server.child.pid}`), append.stderr);
    assert.match(append.stderr, /append over HTTP/);
    const asJson = await stemedb(["append", "--data", data.dir, "--json"], { stdin });
    assert.equal(asJson.code, 1);
    const { error } = json(asJson);
    assert.equal(error.code, "failure");
    assert.match(error.message, new RegExp(`\\(pid ${server.child.pid}\\)`));
    assert.match(error.hint, /append over HTTP/);
  } finally {
    await server.finish("SIGTERM");
  }
});

Deno.test("serve on a port in use fails (exit code 1) suggesting --port 0", async () => {
  await using data = await tempData();
  const first = spawnStemedb(["serve", "--port", "0", "--json", "--data", `${data.dir}/a`]);
  try {
    const { port } = JSON.parse(await first.waitFor(isJson));
    const second = await stemedb(["serve", "--port", String(port), "--data", `${data.dir}/b`]);
    assert.equal(second.code, 1);
    assert.ok(second.stderr.includes(`Cannot listen on 127.0.0.1:${port}`), second.stderr);
    assert.match(second.stderr, /address is in use/);
    assert.match(second.stderr, /--port 0 picks a free one/);
  } finally {
    await first.finish("SIGTERM");
  }
});

Deno.test("--kv with a URL that is not http(s) is a usage error and creates nothing", async () => {
  await using data = await tempData();
  const run = await stemedb(["query", "epochs", "--data", data.dir, "--kv", "ftp://x"]);
  assert.equal(run.code, 2);
  assert.ok(
    run.stderr.includes('Invalid option "--kv" "ftp://x": expected a path or an http(s) URL'),
    run.stderr,
  );
  await assert.rejects(Deno.stat(`${ROOT}/ftp:`), Deno.errors.NotFound);
  const env = await stemedb(["status", "--data", data.dir], { env: { STEMEDB_KV: "s3://b/k" } });
  assert.equal(env.code, 2);
  assert.match(env.stderr, /Invalid environment variable STEMEDB_KV "s3:\/\/b\/k"/);
  const noHost = await stemedb(["query", "epochs", "--data", data.dir, "--kv", "https://"]);
  assert.equal(noHost.code, 2);
  assert.match(noHost.stderr, /not a valid URL/);
});

Deno.test("--kv naming a file that is not a SQLite database, or a directory, fails saying what --kv takes", async () => {
  await using data = await tempData();
  const garbage = `${data.dir}/notes.txt`;
  await Deno.writeTextFile(garbage, "these are not the droids\n");
  const file = await stemedb(["query", "epochs", "--data", data.dir, "--kv", garbage]);
  assert.equal(file.code, 1);
  assert.ok(
    file.stderr.includes(`Cannot open Deno KV "${garbage}": not a SQLite database`),
    file.stderr,
  );
  assert.match(
    file.stderr,
    /takes a Deno KV SQLite file \(created when missing\) or an http\(s\) URL/,
  );
  const dir = await stemedb(["query", "epochs", "--data", data.dir, "--kv", data.dir]);
  assert.equal(dir.code, 1);
  assert.match(dir.stderr, /it is a directory/);
  // A path that does not exist yet is a new store.
  const fresh = await stemedb([
    "query",
    "epochs",
    "--data",
    data.dir,
    "--kv",
    `${data.dir}/new.sqlite`,
  ]);
  assert.equal(fresh.code, 0, fresh.stderr);
});
