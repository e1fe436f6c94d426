import assert from "node:assert/strict";
import { HTTP_ERROR_STATUS } from "../../src/http/mod.ts";
import { MAX_SUBJECT_BYTES } from "../../src/records/mod.ts";
import { assertion, call, post, startServer } from "./_server.ts";

const README = new URL("../../README.md", import.meta.url);

Deno.test("GET a list with a cursor the store never handed out answers 400 bad_request, not 500", async () => {
  const server = await startServer();
  try {
    await call(`${server.url}/assertions`, post(assertion()));
    await server.ingest();
    const hash = "ab".repeat(32);
    for (const path of ["/subjects/Paris/assertions", "/epochs", `/assertions/${hash}/votes`]) {
      for (const cursor of ["%FF%FE", "%40%40%40", "%E2%9C%93"]) {
        const { status, body } = await call(`${server.url}${path}?cursor=${cursor}`);
        assert.equal(status, 400, `${path}?cursor=${cursor}: ${JSON.stringify(body)}`);
        assert.equal(body.error.code, "bad_request");
        assert.match(body.error.message, /invalid cursor/);
      }
    }
  } finally {
    await server.close();
  }
});

Deno.test("GET a subject longer than the key limit answers 400 bad_request naming the limit", async () => {
  const server = await startServer();
  try {
    const long = encodeURIComponent("é".repeat(MAX_SUBJECT_BYTES / 2 + 1));
    const { status, body } = await call(`${server.url}/subjects/${long}/assertions`);
    assert.equal(status, 400);
    assert.equal(body.error.code, "bad_request");
    assert.match(body.error.message, new RegExp(`more than ${MAX_SUBJECT_BYTES}`));
    const fits = encodeURIComponent("a".repeat(MAX_SUBJECT_BYTES));
    assert.equal((await call(`${server.url}/subjects/${fits}/assertions`)).status, 200);
  } finally {
    await server.close();
  }
});

Deno.test("A write to a closed journal answers 503 service_unavailable", async () => {
  const server = await startServer();
  try {
    await server.journal.close();
    const { status, body } = await call(`${server.url}/assertions`, post(assertion()));
    assert.equal(status, 503);
    assert.equal(body.error.code, "service_unavailable");
  } finally {
    await server.close();
  }
});

Deno.test("Every error code of the HTTP API is in the README's error table with its status", async () => {
  const readme = await Deno.readTextFile(README);
  const table = readme.slice(readme.indexOf("| Status | Code"));
  for (const [code, status] of Object.entries(HTTP_ERROR_STATUS)) {
    assert.match(table, new RegExp(`\\| ${status} +\\| \`${code}\` +\\|`), `${status} ${code}`);
  }
});
