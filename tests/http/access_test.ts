/**
 * Safe by default: without STEMEDB_TOKEN, writes only from loopback, and no
 * listening on the network without `--insecure`; checked against the real
 * service from this machine's own non-loopback address.
 */
import assert from "node:assert/strict";
import { isLoopback } from "../../src/http/auth.ts";
import { assertionJson, exitWithin, isJson, spawnStemedb, stemedb, tempData } from "../cli/_cli.ts";

const MOD = new URL("../../src/http/mod.ts", import.meta.url).pathname;

/** This machine's first non-loopback IPv4 address: a client there is "another machine". */
const EXTERNAL = Deno.networkInterfaces().find((i) =>
  i.family === "IPv4" && !/^127\./.test(i.address)
)
  ?.address;

const WRITE = {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(assertionJson("Remote", "writes", "nothing")),
};

async function status(url: string, init?: RequestInit): Promise<{ status: number; code?: string }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    code: text.startsWith("{") ? JSON.parse(text).error?.code : undefined,
  };
}

Deno.test("serve refuses a non-loopback address without STEMEDB_TOKEN, naming --insecure", async () => {
  await using data = await tempData();
  const run = await stemedb(["serve", "--hostname", "0.0.0.0", "--port", "0", "--data", data.dir]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /Cannot listen on "0\.0\.0\.0" without STEMEDB_TOKEN/);
  assert.match(run.stderr, /--insecure/);
});

Deno.test({
  name:
    "Without STEMEDB_TOKEN, serve --insecure answers writes from another address 403 and from loopback 201",
  ignore: EXTERNAL === undefined,
  async fn() {
    await using data = await tempData();
    const server = spawnStemedb([
      "serve",
      "--hostname",
      "0.0.0.0",
      "--port",
      "0",
      "--insecure",
      "--json",
      "--data",
      data.dir,
    ]);
    try {
      const info = JSON.parse(await server.waitFor(isJson));
      assert.equal(info.writes, "loopback");
      const remote = `http://${EXTERNAL}:${info.port}`;
      assert.deepEqual(await status(`${remote}/assertions`, WRITE), {
        status: 403,
        code: "forbidden",
      });
      assert.equal((await status(`${remote}/health`)).status, 200, "reads are open");
      assert.equal((await status(`http://127.0.0.1:${info.port}/assertions`, WRITE)).status, 201);
    } finally {
      assert.equal((await server.finish("SIGTERM")).code, 0);
    }
  },
});

Deno.test({
  name: "With STEMEDB_TOKEN, writes from another address are accepted with the token",
  ignore: EXTERNAL === undefined,
  async fn() {
    await using data = await tempData();
    const server = spawnStemedb(
      ["serve", "--hostname", "0.0.0.0", "--port", "0", "--json", "--data", data.dir],
      { STEMEDB_TOKEN: "s3cret" },
    );
    try {
      const info = JSON.parse(await server.waitFor(isJson));
      const remote = `http://${EXTERNAL}:${info.port}/assertions`;
      assert.equal((await status(remote, WRITE)).status, 401);
      const authorized = {
        ...WRITE,
        headers: { ...WRITE.headers, authorization: "Bearer s3cret" },
      };
      assert.equal((await status(remote, authorized)).status, 201);
    } finally {
      assert.equal((await server.finish("SIGTERM")).code, 0);
    }
  },
});

Deno.test("serve without a token says at start that writes are accepted only from loopback", async () => {
  await using data = await tempData();
  const server = spawnStemedb(["serve", "--port", "0", "--data", data.dir]);
  try {
    const text = await server.waitFor((t) => /auth .*\n/.test(t));
    assert.match(text, /auth off: writes accepted only from loopback/);
  } finally {
    assert.equal((await server.finish("SIGTERM")).code, 0);
  }
});

Deno.test({
  name: "deno serve without a token says so at start and refuses writes from another address",
  ignore: EXTERNAL === undefined,
  async fn() {
    await using data = await tempData();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["serve", "-A", "--port", "0", MOD],
      env: { STEMEDB_DATA: data.dir, STEMEDB_KV: "", STEMEDB_TOKEN: "", NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let text = "";
      let port: string | undefined;
      while (port === undefined) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`deno serve exited:\n${text}`);
        text += value;
        port = /Listening on http:\/\/[^\s]+:(\d+)/.exec(text)?.[1];
      }
      assert.match(text, /stemedb: auth off: writes accepted only from loopback/);
      const remote = `http://${EXTERNAL}:${port}/assertions`;
      assert.deepEqual(await status(remote, WRITE), { status: 403, code: "forbidden" });
      assert.equal((await status(`http://127.0.0.1:${port}/assertions`, WRITE)).status, 201);
    } finally {
      child.kill("SIGTERM");
      await exitWithin(child, 15_000);
      await reader.cancel().catch(() => {});
    }
  },
});

Deno.test("isLoopback() accepts 127.0.0.0/8, ::1, IPv4-mapped loopback and Unix sockets, nothing else", () => {
  const tcp = (hostname: string): Deno.Addr => ({ transport: "tcp", hostname, port: 1 });
  for (const host of ["127.0.0.1", "127.9.8.7", "::1", "::ffff:127.0.0.1", "[::1]"]) {
    assert.ok(isLoopback(tcp(host)), host);
  }
  for (const host of ["192.0.2.2", "10.0.0.1", "::ffff:10.0.0.1", "0.0.0.0", "::", "128.0.0.1"]) {
    assert.ok(!isLoopback(tcp(host)), host);
  }
  assert.ok(isLoopback({ transport: "unix", path: "/tmp/s" }));
  assert.ok(!isLoopback(undefined), "no connection info: not loopback");
});
