import assert from "node:assert/strict";
import { exitWithin, tempData } from "../cli/_cli.ts";
import { startServer } from "./_server.ts";
import { call } from "./_server.ts";

Deno.test("GET /health answers 503 and ok false once the journal is closed", async () => {
  const server = await startServer();
  try {
    assert.equal((await call(`${server.url}/health`)).status, 200);
    await server.journal.close();
    const health = await call(`${server.url}/health`);
    assert.equal(health.status, 503);
    assert.equal(health.body.ok, false);
  } finally {
    await server.close();
  }
});

Deno.test("GET /health answers 503 and ok false once the store is closed", async () => {
  const server = await startServer();
  try {
    server.store.close();
    const health = await call(`${server.url}/health`);
    assert.equal(health.status, 503);
    assert.equal(health.body.ok, false);
  } finally {
    await server.close();
  }
});

Deno.test("Deno.serve(handler.fetch) over the imported module installs no signal handler: Ctrl-C stops the process", async () => {
  await using data = await tempData();
  const script = `${data.dir}/main.ts`;
  const mod = new URL("../../src/http/mod.ts", import.meta.url).href;
  await Deno.writeTextFile(
    script,
    `import handler from "${mod}";
Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: ({ port }) => console.log(port) }, handler.fetch);`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", new URL("../../deno.json", import.meta.url).pathname, script],
    env: { STEMEDB_DATA: `${data.dir}/data`, STEMEDB_KV: "", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/\d+\n/.test(text)) text += (await reader.read()).value ?? "";
  const port = Number(text.trim());
  const health = await fetch(`http://127.0.0.1:${port}/health`);
  assert.equal(health.status, 200);
  await health.body?.cancel();
  child.kill("SIGINT");
  const status = await exitWithin(child, 10_000);
  assert.equal(status.signal, "SIGINT", "the default action of SIGINT ended the process");
  await reader.cancel();
});
