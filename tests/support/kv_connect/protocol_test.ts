// Protocol misuse, sent with node:http2's client since Deno's own never
// makes these mistakes: each is a 4xx with a message naming what was wrong.
import assert from "node:assert/strict";
import http2 from "node:http2";
import { startKvConnectServer, waitFor } from "./mod.ts";

interface Reply {
  status: number;
  text: string;
}

function post(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body: Uint8Array | string,
): Promise<Reply> {
  return send(session, headers, body).reply;
}

function send(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body: Uint8Array | string,
): { request: http2.ClientHttp2Stream; reply: Promise<Reply> } {
  const request = session.request({ ":method": "POST", ...headers });
  const reply = new Promise<Reply>((resolve, reject) => {
    let status = 0;
    let text = "";
    request.on("response", (h) => status = Number(h[":status"]));
    request.setEncoding("utf8");
    request.on("data", (chunk) => text += chunk);
    request.on("end", () => resolve({ status, text }));
    request.on("error", reject);
    // A GET carries no body: node:http2 has already ended its stream.
    if (body.length === 0) request.end();
    else request.end(body);
  });
  return { request, reply };
}

/** Opens a session and does the metadata exchange: the headers of a data path call. */
async function connect(
  url: string,
  token: string,
): Promise<{ session: http2.ClientHttp2Session; data: http2.OutgoingHttpHeaders; base: string }> {
  const session = http2.connect(url);
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const metadata = JSON.parse((await post(session, { ":path": "/", ...auth }, "")).text);
  const data = {
    authorization: `Bearer ${metadata.token}`,
    "x-transaction-domain-id": metadata.uuid,
  };
  return { session, data, base: new URL(metadata.endpoints[0].url).pathname };
}

function closeSession(session: http2.ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => session.close(() => resolve()));
}

// AtomicWrite { mutations: [{ key: ["k"], value: { data: [1], encoding: VE_BYTES }, M_SET }] },
// written byte by byte: field 2 (mutations), 14 bytes of Mutation.
const SET_K = Uint8Array.from([
  ...[0x12, 14],
  ...[0x0a, 3, 0x02, 0x6b, 0x00], // key: "k"
  ...[0x12, 5, 0x0a, 1, 0x01, 0x10, 3], // value: bytes [1], VE_BYTES
  ...[0x18, 1], // mutation_type: M_SET
]);

Deno.test("A version 1 client (no body) writes through the data path with its domain id header", async () => {
  await using server = await startKvConnectServer();
  const { session, data, base } = await connect(server.url, server.token);
  try {
    const reply = await post(session, { ":path": `${base}/atomic_write`, ...data }, SET_K);
    assert.equal(reply.status, 200);
    assert.deepEqual((await server.kv.get(["k"])).value, new Uint8Array([1]));
  } finally {
    await closeSession(session);
  }
});

Deno.test("A stalled write its client abandons is never applied, nor one held when the server closes", async () => {
  const server = await startKvConnectServer({ faults: { stall: {} } });
  const { session, data, base } = await connect(server.url, server.token);
  try {
    const abandoned = send(session, { ":path": `${base}/atomic_write`, ...data }, SET_K);
    abandoned.reply.catch(() => {});
    await waitFor("the first stall", () => server.stats.faults.stall === 1);
    abandoned.request.close(http2.constants.NGHTTP2_CANCEL);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(server.releaseStalls(), 0, "the abandoned request is no longer held");
    assert.equal((await server.kv.get(["k"])).versionstamp, null);

    const held = send(session, { ":path": `${base}/atomic_write`, ...data }, SET_K);
    await waitFor("the second stall", () => server.stats.faults.stall === 2);
    await server.close();
    const outcome = await held.reply.then((r) => r.status, () => "reset");
    assert.ok(outcome === "reset" || outcome === 0, `no answer, got ${outcome}`);
    assert.equal(server.stats.appliedWrites, 0);
  } finally {
    await server.close();
    session.destroy();
  }
});

Deno.test("KV Connect server answers protocol misuse with a 4xx naming the mistake", async () => {
  await using server = await startKvConnectServer({ token: "t" });
  const session = http2.connect(server.url);
  try {
    const auth = { authorization: "Bearer t", "content-type": "application/json" };
    const meta = await post(session, { ":path": "/", ...auth }, '{"supportedVersions":[2]}');
    assert.equal(meta.status, 200);
    const metadata = JSON.parse(meta.text);
    assert.equal(metadata.version, 2);
    const data = {
      authorization: `Bearer ${metadata.token}`,
      "x-denokv-database-id": metadata.databaseId,
      "x-denokv-version": "2",
    };
    const read = new URL(`${metadata.endpoints[0].url}/snapshot_read`).pathname;

    const cases: [string, http2.OutgoingHttpHeaders, Uint8Array | string, number, RegExp][] = [
      ["unknown path", { ":path": "/nowhere", ...auth }, "", 404, /No KV Connect endpoint/],
      ["GET", { ":path": "/", ":method": "GET", ...auth }, "", 405, /takes POST/],
      ["bad token", { ":path": "/", authorization: "Bearer x" }, "", 401, /access token/],
      [
        "no common version",
        { ":path": "/", ...auth },
        '{"supportedVersions":[9]}',
        400,
        /No common/,
      ],
      ["metadata not JSON", { ":path": "/", ...auth }, "{", 400, /JSON/],
      ["metadata token on data path", { ":path": read, ...auth }, "", 401, /access token/],
      [
        "garbage protobuf",
        { ":path": read, ...data },
        new Uint8Array([0xff, 0xff]),
        400,
        /SnapshotRead/,
      ],
      [
        "unknown version",
        { ":path": read, ...data, "x-denokv-version": "7" },
        "",
        400,
        /version "7"/,
      ],
    ];
    for (const [name, headers, body, status, message] of cases) {
      const reply = await post(session, headers, body);
      assert.equal(reply.status, status, name);
      assert.match(reply.text, message, name);
    }
    assert.equal(server.stats.badRequests, 4);
    assert.equal(server.stats.faults.unauthorized, 2);
  } finally {
    await new Promise<void>((resolve) => session.close(() => resolve()));
  }
});
