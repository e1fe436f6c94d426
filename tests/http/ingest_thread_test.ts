// The service with its ingestor on a worker thread of its own (serve
// --ingest-thread): the HTTP app answers `?wait=ingested`, `/health` and
// `/status` from what the thread reports, and closing drains.
import assert from "node:assert/strict";
import { resolveConfig } from "../../src/config/data_dir.ts";
import { serviceEnv } from "../../src/config/service_env.ts";
import { openServed } from "../../src/http/served.ts";
import { KvStore } from "../../src/store/mod.ts";
import { Journal } from "../../src/wal/mod.ts";
import { assertion, call, post } from "./_server.ts";

/** The service as `stemedb serve --ingest-thread` opens it, served on an ephemeral port. */
async function serveThreaded(dir: string) {
  const settings = serviceEnv({ get: (name) => ({ STEMEDB_INGEST_THREAD: "1" })[name] });
  assert.equal(settings.ingestThread, true);
  const served = await openServed(resolveConfig({ data: dir }), settings);
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: (addr) => listening.resolve(addr) },
    served.app.fetch,
  );
  const addr = await listening.promise;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    async close() {
      await server.shutdown();
      await served.close();
    },
  };
}

Deno.test("POST ?wait=ingested with the ingestor on a thread answers Stemedb-Ingested: true once the thread has committed it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stemedb_http_thread_" });
  try {
    const server = await serveThreaded(dir);
    try {
      const health = await call(`${server.url}/health`);
      assert.equal(health.status, 200);
      assert.equal(health.body.ingestor, "running");
      const written = await call(`${server.url}/assertions?wait=ingested`, post(assertion()));
      assert.equal(written.status, 201);
      assert.equal(written.headers.get("stemedb-ingested"), "true");
      const read = await call(`${server.url}/assertions/${written.body.hash}`);
      assert.equal(read.status, 200);
      assert.equal(read.body.object, "France");
      const status = await call(`${server.url}/status`);
      assert.equal(status.body.ingest.lagRecords, 0);
      assert.equal(status.body.ingest.stalled, null);
      assert.equal(status.body.ingest.cursor, status.body.journal.durableOffset);
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Closing the service with the ingestor on a thread leaves every acknowledged record applied", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stemedb_http_thread_" });
  try {
    const server = await serveThreaded(dir);
    const lines = Array.from({ length: 300 }, (_, i) => assertion({ object: `o-${i}` }));
    try {
      for (let i = 0; i < lines.length; i += 100) {
        const written = await call(`${server.url}/assertions`, post(lines.slice(i, i + 100)));
        assert.equal(written.status, 201);
      }
    } finally {
      await server.close();
    }
    const journal = await Journal.open(`${dir}/wal`, { readOnly: true });
    const store = await KvStore.open(`${dir}/kv.sqlite`);
    try {
      assert.equal((await store.readCursor(journal.id)).offset, journal.durableOffset);
      assert.equal((await store.listSubject("Paris", { limit: 500 })).items.length, 300);
    } finally {
      store.close();
      await journal.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
