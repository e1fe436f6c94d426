import assert from "node:assert/strict";
import { exitWithin } from "../cli/_cli.ts";

const MOD = new URL("../../src/http/mod.ts", import.meta.url).pathname;

Deno.test("deno serve runs the default export, opening journal and KV from STEMEDB_DATA", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stemedb_deno_serve_" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["serve", "-A", "--port", "0", "--host", "127.0.0.1", MOD],
    env: { STEMEDB_DATA: dir, STEMEDB_KV: "", STEMEDB_TOKEN: "t0ken", NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let text = "";
    let url: string | undefined;
    while (url === undefined) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`deno serve exited:\n${text}`);
      text += value;
      url = /Listening on (http:\/\/[^\s/]+)/.exec(text)?.[1];
    }
    const unauthorized = await fetch(`${url}/assertions`, { method: "POST", body: "{}" });
    assert.equal(unauthorized.status, 401);
    await unauthorized.body?.cancel();
    const created = await fetch(`${url}/epochs?wait=ingested`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer t0ken" },
      body: JSON.stringify({ id: "beef", name: "served", description: "", startTime: 1 }),
    });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get("stemedb-ingested"), "true");
    await created.body?.cancel();
    const epoch = await fetch(`${url}/epochs/beef`);
    assert.equal((await epoch.json()).name, "served");
    await Deno.stat(`${dir}/wal/journal.json`);
  } finally {
    child.kill("SIGTERM");
    await exitWithin(child, 15_000);
    await reader.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
