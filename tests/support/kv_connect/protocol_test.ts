// Protocol misuse, sent with node:http2's client since Deno's own never
// makes these mistakes: each is a 4xx with a message naming what was wrong.
import assert from "node:assert/strict";
import http2 from "node:http2";
import { startKvConnectServer } from "./mod.ts";

interface Reply {
  status: number;
  text: string;
}

function post(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body: Uint8Array | string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = session.request({ ":method": "POST", ...headers });
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
}

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
