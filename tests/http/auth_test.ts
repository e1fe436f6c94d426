import assert from "node:assert/strict";
import { assertion, call, post, startServer } from "./_server.ts";

Deno.test("With a token, writes without or with a wrong bearer token answer 401", async () => {
  const server = await startServer({ token: "s3cret" });
  try {
    const none = await call(`${server.url}/assertions`, post(assertion()));
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, "unauthorized");
    assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);
    const wrong = await call(
      `${server.url}/assertions`,
      post(assertion(), { authorization: "Bearer s3cre" }),
    );
    assert.equal(wrong.status, 401);
    const basic = await call(
      `${server.url}/assertions`,
      post(assertion(), { authorization: "Basic s3cret" }),
    );
    assert.equal(basic.status, 401);
    const right = await call(
      `${server.url}/assertions`,
      post(assertion(), { authorization: "Bearer s3cret" }),
    );
    assert.equal(right.status, 201);
    assert.equal(server.journal.durableOffset > 0, true);
    const read = await call(`${server.url}/assertions/${right.body.hash}`);
    assert.equal(read.status, 404, "reads stay open without protectReads");
  } finally {
    await server.close();
  }
});

Deno.test("With protectReads, reads need the token too but /health does not", async () => {
  const server = await startServer({ token: "s3cret", protectReads: true });
  try {
    assert.equal((await call(`${server.url}/epochs`)).status, 401);
    const ok = await call(`${server.url}/epochs`, { headers: { authorization: "Bearer s3cret" } });
    assert.equal(ok.status, 200);
    assert.equal((await call(`${server.url}/health`)).status, 200);
  } finally {
    await server.close();
  }
});
