/**
 * `listen()`, the `node:http` listener: deadlines on slow clients, driven by
 * raw TCP clients that stall, and the app answering over it exactly as over
 * `Deno.serve`.
 */
import assert from "node:assert/strict";
import { type App, createApp, listen } from "../../src/http/mod.ts";
import { Ingestor } from "../../src/ingest/mod.ts";
import { KvStore } from "../../src/store/mod.ts";
import { Journal } from "../../src/wal/mod.ts";
import { postHead, rawSend, readUntilClosed } from "./_raw.ts";
import { assertion, call, HASH_RE, post, startServer } from "./_server.ts";

const encoder = new TextEncoder();

/** This machine's first non-loopback IPv4 address: a client there is "another machine". */
const EXTERNAL = Deno.networkInterfaces().find((i) =>
  i.family === "IPv4" && !/^127\./.test(i.address)
)?.address;

/** Slack on a deadline for a loaded machine: the check runs every tenth of it, plus scheduling. */
const SLACK_MS = 2000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An app of handlers by path, for the listener's own behaviour. */
function appOf(handlers: Record<string, (request: Request) => Promise<Response>>): App {
  return {
    fetch(request) {
      const handle = handlers[new URL(request.url).pathname];
      return handle ? handle(request) : Promise.resolve(new Response("none", { status: 404 }));
    },
  };
}

const ok = appOf({ "/": () => Promise.resolve(Response.json({ ok: true })) });

Deno.test("listen() answers a client that never ends its request head 408 and disconnects it within the header timeout", async () => {
  await using listener = await listen(ok, { headerTimeoutMs: 300 });
  const url = `http://127.0.0.1:${listener.addr.port}`;
  const started = performance.now();
  const conn = await rawSend(url, "GET / HTTP/1.1\r\nHost: test\r\n");
  const { text, closed } = await readUntilClosed(conn, 300 + SLACK_MS);
  const elapsed = performance.now() - started;
  conn.close();
  assert.ok(closed, `still connected after ${elapsed} ms: ${JSON.stringify(text)}`);
  assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n(?:[^\r]*\r\n)*connection: close\r\n/i);
  assert.ok(elapsed >= 300, `cut after ${elapsed} ms, before the deadline`);
  // A client that ends its head in time is answered.
  assert.equal((await call(url)).status, 200);
});

Deno.test("listen() cuts a client that drips its request head slower than the header timeout, though it never pauses long", async () => {
  await using listener = await listen(ok, { headerTimeoutMs: 400 });
  const url = `http://127.0.0.1:${listener.addr.port}`;
  const conn = await rawSend(url, "GET / HTTP/1.1\r\n");
  const dripping = (async () => {
    // A header line every 50 ms: each byte is recent, the head never ends.
    for (let i = 0; i < 200; i++) {
      await sleep(50);
      await conn.write(encoder.encode(`X-Drip-${i}: 1\r\n`));
    }
  })().catch(() => "cut");
  const { text, closed } = await readUntilClosed(conn, 400 + SLACK_MS);
  conn.close();
  assert.ok(closed, `still connected: ${JSON.stringify(text)}`);
  assert.match(text, /^HTTP\/1\.1 408 /);
  assert.equal(await dripping, "cut", "the server hung up before the client was done");
});

Deno.test("listen() cuts a connection that sends nothing at all within the header timeout", async () => {
  await using listener = await listen(ok, { headerTimeoutMs: 300 });
  const conn = await rawSend(`http://127.0.0.1:${listener.addr.port}`, "");
  const { closed } = await readUntilClosed(conn, 300 + SLACK_MS);
  conn.close();
  assert.ok(closed);
});

Deno.test("listen() closes a connection past maxConnections unanswered, and takes one again once a held one closes", async () => {
  await using listener = await listen(ok, { maxConnections: 2 });
  const url = `http://127.0.0.1:${listener.addr.port}`;
  const request = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
  const answered = (t: string) => t.endsWith('{"ok":true}');
  const held = [await rawSend(url, request), await rawSend(url, request)];
  for (const conn of held) {
    assert.match((await readUntilClosed(conn, 2000, answered)).text, /^HTTP\/1\.1 200 /);
  }
  const over = await rawSend(url, request);
  const refused = await readUntilClosed(over, 2000);
  over.close();
  assert.ok(refused.closed, "the connection past the cap is closed");
  assert.equal(refused.text, "", "and not answered");
  held[0].close();
  await sleep(100);
  const next = await rawSend(url, request);
  assert.match((await readUntilClosed(next, 2000, answered)).text, /^HTTP\/1\.1 200 /);
  next.close();
  held[1].close();
});

Deno.test("listen() refuses a maxConnections that is not a positive integer", async () => {
  await assert.rejects(() => listen(ok, { maxConnections: 0 }), RangeError);
});

Deno.test("Over listen() a body slower than the app's body timeout is answered 408 request_timeout and the connection closes", async () => {
  const server = await startServer({ bodyTimeoutMs: 300, node: { headerTimeoutMs: 5000 } });
  try {
    const body = JSON.stringify(assertion());
    const conn = await rawSend(server.url, postHead("/assertions", body.length) + body.slice(0, 5));
    const { text, closed } = await readUntilClosed(conn, 300 + SLACK_MS);
    conn.close();
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /\r\nconnection: close\r\n/i);
    assert.match(text, /"request_timeout"/);
    assert.ok(closed, "the connection closes after the 408");
  } finally {
    await server.close();
  }
});

Deno.test("listen() closes a keep-alive connection idle past its keep-alive timeout, and keeps it while requests follow", async () => {
  await using listener = await listen(ok, { keepAliveTimeoutMs: 300 });
  const url = `http://127.0.0.1:${listener.addr.port}`;
  const request = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
  const conn = await rawSend(url, request);
  const first = await readUntilClosed(conn, 2000, (t) => t.endsWith('{"ok":true}'));
  assert.match(first.text, /^HTTP\/1\.1 200 /);
  assert.match(first.text, /\r\nconnection: keep-alive\r\n/i);
  // Within the timeout the connection takes another request.
  await sleep(100);
  await conn.write(encoder.encode(request));
  const second = await readUntilClosed(conn, 2000, (t) => t.endsWith('{"ok":true}'));
  assert.match(second.text, /^HTTP\/1\.1 200 /);
  // Node closes an idle connection up to 1 s past the timeout it advertises.
  const idle = await readUntilClosed(conn, 300 + 1000 + SLACK_MS);
  conn.close();
  assert.deepEqual(idle, { text: "", closed: true });
});

Deno.test("Over listen() the app answers exactly as over Deno.serve: statuses, headers and JSON bodies", async () => {
  // One app behind both listeners: the same journal and store answer both.
  const dir = await Deno.makeTempDir({ prefix: "stemedb_http_" });
  const journal = await Journal.open(`${dir}/wal`);
  const store = await KvStore.open(`${dir}/kv.sqlite`);
  const ingestor = new Ingestor(journal, store, { pollIntervalMs: 20 });
  ingestor.start();
  const app = createApp({ journal, store, ingestor });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
  const listener = await listen(app);
  const served = { url: `http://127.0.0.1:${server.addr.port}` };
  const noded = { url: `http://127.0.0.1:${listener.addr.port}` };
  try {
    const exchanges: [string, RequestInit][] = [
      ["/health", {}],
      ["/assertions/" + "0".repeat(64), {}],
      ["/assertions/nothex", {}],
      ["/nowhere", {}],
      ["/health", { method: "DELETE" }],
      ["/health", { method: "HEAD" }],
      ["/subjects?limit=0", {}],
      ["/assertions", post("{not json")],
      ["/assertions", post(assertion(), { "content-type": "text/plain" })],
      ["/assertions", post({ ...assertion(), confidence: 7 })],
    ];
    for (const [path, init] of exchanges) {
      const [a, b] = [await call(served.url + path, init), await call(noded.url + path, init)];
      const what = `${init.method ?? "GET"} ${path}`;
      assert.equal(b.status, a.status, what);
      assert.deepEqual(b.body, a.body, what);
      for (const name of ["content-type", "content-length", "allow", "www-authenticate"]) {
        assert.equal(b.headers.get(name), a.headers.get(name), `${what}: ${name}`);
      }
    }
    const created = await call(`${noded.url}/assertions?wait=ingested`, post(assertion()));
    assert.equal(created.status, 201);
    assert.match(created.body.hash, HASH_RE);
    assert.equal(
      created.headers.get("content-length"),
      String(JSON.stringify(created.body).length),
    );
    const batch = await call(`${noded.url}/assertions`, post([assertion({ subject: "Rome" })]));
    assert.equal(batch.status, 201);
    assert.equal(batch.body.length, 1);
  } finally {
    await server.shutdown();
    await listener.stop();
    await ingestor.stop();
    store.close();
    await journal.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Over listen() a body over the limit answers 413 payload_too_large, announced or not", async () => {
  const server = await startServer({ maxBodyBytes: 1024, node: {} });
  try {
    const big = JSON.stringify(assertion({ object: "x".repeat(4096) }));
    const announced = await call(`${server.url}/assertions`, post(big));
    assert.equal(announced.status, 413);
    assert.equal(announced.body.error.code, "payload_too_large");
    const streamed = await call(`${server.url}/assertions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: ReadableStream.from([encoder.encode(big)]),
    });
    assert.equal(streamed.status, 413);
    // The service answers on after both.
    assert.equal((await call(`${server.url}/health`)).status, 200);
  } finally {
    await server.close();
  }
});

Deno.test(
  "Over listen() a write from a non-loopback address without a token answers 403 forbidden",
  {
    ignore: EXTERNAL === undefined,
  },
  async () => {
    const server = await startServer({ node: { hostname: "0.0.0.0" } });
    try {
      const port = new URL(server.url).port;
      const remote = await call(`http://${EXTERNAL}:${port}/assertions`, post(assertion()));
      assert.equal(remote.status, 403);
      assert.equal(remote.body.error.code, "forbidden");
      assert.equal(
        (await call(`http://127.0.0.1:${port}/assertions`, post(assertion()))).status,
        201,
      );
    } finally {
      await server.close();
    }
  },
);

Deno.test("listen() sends a body that ends within 64 KiB with Content-Length, a longer one chunked, whole", async () => {
  const long = "y".repeat(200_000);
  await using listener = await listen(appOf({
    "/short": () => Promise.resolve(new Response("short")),
    "/long": () =>
      Promise.resolve(
        new Response(ReadableStream.from([long, long].map((s) => encoder.encode(s)))),
      ),
  }));
  const url = `http://127.0.0.1:${listener.addr.port}`;
  const short = await fetch(`${url}/short`);
  assert.equal(short.headers.get("content-length"), "5");
  assert.equal(await short.text(), "short");
  const streamed = await fetch(`${url}/long`);
  assert.equal(streamed.headers.get("transfer-encoding"), "chunked");
  assert.equal(streamed.headers.get("content-length"), null);
  assert.equal(await streamed.text(), long + long);
});

Deno.test("listen() answers 500 internal when the handler throws, and serves on", async () => {
  await using listener = await listen(appOf({
    "/": () => Promise.resolve(Response.json({ ok: true })),
    "/throw": () => Promise.reject(new Error("handler bug")),
  }));
  const url = `http://127.0.0.1:${listener.addr.port}`;
  const failed = await call(`${url}/throw`);
  assert.equal(failed.status, 500);
  assert.equal(failed.body.error.code, "internal");
  assert.equal((await call(url)).status, 200);
});

Deno.test("A client that goes away mid-body or mid-answer does not stop listen(): the handler sees the body fail, the next request is answered", async () => {
  const bodyFailed = Promise.withResolvers<string>();
  await using listener = await listen(appOf({
    "/": () => Promise.resolve(Response.json({ ok: true })),
    "/upload": async (request) => {
      try {
        await request.bytes();
        bodyFailed.resolve("read");
      } catch (error) {
        bodyFailed.resolve((error as Error).message);
      }
      return Response.json({ ok: true });
    },
    "/endless": () =>
      Promise.resolve(
        new Response(
          new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(64 * 1024)) }),
        ),
      ),
  }));
  const url = `http://127.0.0.1:${listener.addr.port}`;
  const upload = await rawSend(url, postHead("/upload", 1000) + "{");
  await sleep(100);
  upload.close();
  assert.match(await bodyFailed.promise, /closed the connection/);
  const reader = await rawSend(url, "GET /endless HTTP/1.1\r\nHost: test\r\n\r\n");
  await reader.read(new Uint8Array(1024));
  reader.close();
  await sleep(100);
  assert.equal((await call(url)).status, 200);
});

Deno.test("Stopping listen() refuses new connections, closes idle ones, lets the request in flight finish and answers it, then resolves finished", async () => {
  const release = Promise.withResolvers<void>();
  const arrived = Promise.withResolvers<void>();
  const listener = await listen(appOf({
    "/": () => Promise.resolve(Response.json({ ok: true })),
    "/slow": async () => {
      arrived.resolve();
      await release.promise;
      return Response.json({ finished: true });
    },
  }));
  const url = `http://127.0.0.1:${listener.addr.port}`;
  const idle = await rawSend(url, "GET / HTTP/1.1\r\nHost: test\r\n\r\n");
  await readUntilClosed(idle, 2000, (t) => t.endsWith('{"ok":true}'));
  const busy = await rawSend(url, "GET /slow HTTP/1.1\r\nHost: test\r\n\r\n");
  await arrived.promise;
  let finished = false;
  listener.finished.then(() => finished = true);
  const stopped = listener.stop();
  assert.deepEqual(await readUntilClosed(idle, 2000), { text: "", closed: true });
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }));
  assert.equal(finished, false, "finished waits for the request in flight");
  release.resolve();
  const answer = await readUntilClosed(busy, 2000);
  assert.match(
    answer.text,
    /^HTTP\/1\.1 200 [^]*\r\nconnection: close\r\n[^]*\{"finished":true\}$/i,
  );
  assert.ok(answer.closed);
  await stopped;
  await listener.finished;
  idle.close();
  busy.close();
});

Deno.test("Stopping listen() closes a request still in flight at the stop deadline", async () => {
  const never = Promise.withResolvers<Response>();
  const listener = await listen(appOf({ "/hang": () => never.promise }), { stopTimeoutMs: 200 });
  const conn = await rawSend(
    `http://127.0.0.1:${listener.addr.port}`,
    "GET /hang HTTP/1.1\r\nHost: test\r\n\r\n",
  );
  await sleep(100);
  await listener.stop();
  assert.deepEqual(await readUntilClosed(conn, 2000), { text: "", closed: true });
  conn.close();
  never.resolve(new Response("late"));
});

Deno.test("listen() on an address in use rejects with Deno.errors.AddrInUse; with reusePort two listeners share a port", async () => {
  await using first = await listen(ok, { reusePort: true });
  await assert.rejects(listen(ok, { port: first.addr.port }), Deno.errors.AddrInUse);
  await using second = await listen(ok, { port: first.addr.port, reusePort: true });
  assert.equal(second.addr.port, first.addr.port);
  assert.equal((await call(`http://127.0.0.1:${first.addr.port}/`)).status, 200);
});

Deno.test("listen() refuses a header timeout below 1 ms with a RangeError naming it", async () => {
  await assert.rejects(listen(ok, { headerTimeoutMs: 0 }), (error) => {
    assert.ok(error instanceof RangeError);
    assert.match(error.message, /headerTimeoutMs "0"/);
    return true;
  });
});

Deno.test("listen() answers pipelined requests one at a time, in the order they were sent", async () => {
  const events: string[] = [];
  const slowDone = Promise.withResolvers<void>();
  await using listener = await listen(appOf({
    "/slow": async () => {
      events.push("slow started");
      await sleep(200);
      events.push("slow finished");
      slowDone.resolve();
      return new Response("slow");
    },
    "/fast": () => {
      events.push("fast started");
      return Promise.resolve(new Response("fast"));
    },
  }));
  const head = (path: string) => `GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`;
  const conn = await rawSend(
    `http://127.0.0.1:${listener.addr.port}`,
    head("/slow") + head("/fast"),
  );
  const { text } = await readUntilClosed(conn, 3000, (t) => t.endsWith("fast"));
  conn.close();
  await slowDone.promise;
  assert.deepEqual(events, ["slow started", "slow finished", "fast started"]);
  assert.match(text, /^HTTP\/1\.1 200 [^]*slowHTTP\/1\.1 200 [^]*fast$/);
});
