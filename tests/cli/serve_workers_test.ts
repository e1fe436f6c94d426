/**
 * `serve --workers N` gives every worker every setting: each worker thread
 * of a real `serve --workers` applies the limits and deadlines it was
 * given, checked on connections known to reach it.
 */
import assert from "node:assert/strict";
import { postHead, rawSend, readUntilClosed } from "../http/_raw.ts";
import { assertionJson, isJson, json, ndjson, spawnStemedb, stemedb, tempData } from "./_cli.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A keep-alive connection to one worker: requests in turn, each answer read whole. */
class WorkerConn {
  #buffered = "";
  constructor(readonly conn: Deno.TcpConn) {}

  static async open(url: string): Promise<WorkerConn> {
    return new WorkerConn(await rawSend(url, ""));
  }

  async request(head: string, body = ""): Promise<{ status: number; body: string }> {
    await this.conn.write(encoder.encode(head + body));
    return await this.response();
  }

  async response(): Promise<{ status: number; body: string }> {
    const buf = new Uint8Array(16_384);
    while (true) {
      const end = this.#buffered.indexOf("\r\n\r\n");
      if (end >= 0) {
        const head = this.#buffered.slice(0, end);
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (this.#buffered.length >= end + 4 + length) {
          const body = this.#buffered.slice(end + 4, end + 4 + length);
          this.#buffered = this.#buffered.slice(end + 4 + length);
          return { status: Number(head.slice(9, 12)), body };
        }
      }
      const n = await this.conn.read(buf);
      if (n === null) throw new Error(`Connection closed mid-response: ${this.#buffered}`);
      this.#buffered += decoder.decode(buf.subarray(0, n));
    }
  }

  close() {
    try {
      this.conn.close();
    } catch {
      // closed by the server already
    }
  }
}

const TOKEN = "workers-token";
const AUTH = `Authorization: Bearer ${TOKEN}\r\n`;
const get = (path: string, extra = AUTH) => `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;

/** Open connections until each of `workers` journals has `perWorker` of them, by `/health`. */
async function connectionsPerWorker(url: string, workers: number, perWorker: number) {
  const byJournal = new Map<string, WorkerConn[]>();
  const spare: WorkerConn[] = [];
  for (let i = 0; i < 200; i++) {
    const done = byJournal.size === workers &&
      [...byJournal.values()].every((conns) => conns.length >= perWorker);
    if (done) break;
    const conn = await WorkerConn.open(url);
    const health = await conn.request(get("/health"));
    assert.equal(health.status, 200, health.body);
    const list = byJournal.get(JSON.parse(health.body).journal) ?? [];
    (list.length < perWorker ? list : spare).push(conn);
    byJournal.set(JSON.parse(health.body).journal, list);
  }
  for (const conn of spare) conn.close();
  assert.equal(byJournal.size, workers, "connections reached every worker");
  return { conns: [...byJournal.values()], journals: [...byJournal.keys()] };
}

Deno.test("serve --workers 2: every worker applies --body-timeout, --max-inflight-writes, --max-body, --protect-reads and --max-lag; deno task status reports both shards", async () => {
  await using data = await tempData();
  const server = spawnStemedb([
    "serve",
    "--workers",
    "2",
    "--port",
    "0",
    "--json",
    "--data",
    data.dir,
    "--body-timeout",
    "1500",
    "--max-inflight-writes",
    "1",
    "--max-body",
    "200000",
    "--protect-reads",
    "--max-lag",
    "1",
  ], { STEMEDB_TOKEN: TOKEN });
  const opened: WorkerConn[] = [];
  const journals = new Set<string>();
  try {
    const info = JSON.parse(await server.waitFor(isJson));
    assert.equal(info.workers, 2);
    const { conns: workers, journals: ids } = await connectionsPerWorker(info.url, 2, 4);
    for (const id of ids) journals.add(id);
    opened.push(...workers.flat());
    const record = JSON.stringify(assertionJson("Workers", "apply", "limits"));
    // Each answer that refuses a body may close its connection: one connection per check.
    for (const [stalled, refusedConn, oversized] of workers) {
      // --protect-reads: a read without the token is refused.
      assert.equal((await stalled.request(get("/status", ""))).status, 401);
      // --body-timeout and --max-inflight-writes 1: the first stalled body holds the only slot
      // and is cut at 1.5 s; a second write meanwhile is refused at once.
      const started = performance.now();
      await stalled.conn.write(encoder.encode(postHead("/assertions", record.length, AUTH) + "{"));
      await new Promise((resolve) => setTimeout(resolve, 400));
      const refused = await refusedConn.request(
        postHead("/assertions", record.length, AUTH),
        record,
      );
      assert.equal(refused.status, 429, refused.body);
      const timedOut = await readUntilClosed(stalled.conn, 6000, (t) => /\}\}$/.test(t));
      assert.match(timedOut.text, /^HTTP\/1\.1 408 /);
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 1500 && elapsed < 6000, `cut after ${elapsed} ms`);
      // --max-body: a body over the limit.
      const big = ndjson(Array.from({ length: 2000 }, (_, i) => assertionJson("Big", "n", i)));
      assert.ok(big.length > 200_000);
      const bigHead = postHead("/assertions", big.length, AUTH)
        .replace("application/json", "application/x-ndjson");
      const tooBig = await oversized.request(bigHead, big);
      assert.equal(tooBig.status, 413);
    }
    // --max-lag 1: a batch puts the worker's shard behind; a write pipelined right after it (or
    // the next batch) is refused until the ingestor catches up. A refusal may close the connection: a fresh one
    // for each try, its worker known by /health.
    const lagged = new Map<string, number>();
    for (let i = 0; i < 100 && lagged.size < 2; i++) {
      const conn = await WorkerConn.open(info.url);
      opened.push(conn);
      const journal = JSON.parse((await conn.request(get("/health"))).body).journal;
      const batch = ndjson(
        Array.from({ length: 500 }, (_, j) => assertionJson("Lag", "n", i * 1000 + j)),
      );
      const head = postHead("/assertions", batch.length, AUTH)
        .replace("application/json", "application/x-ndjson");
      const one = postHead("/assertions", record.length, AUTH);
      await conn.conn.write(encoder.encode(head + batch + one + record));
      // The batch itself meets the limit when an earlier batch of this worker is not ingested.
      let answer = await conn.response();
      if (answer.status === 201) answer = await conn.response();
      if (answer.status === 429) lagged.set(journal, JSON.parse(answer.body).error.lagRecords);
      else assert.equal(answer.status, 201, answer.body);
      conn.close();
    }
    assert.equal(lagged.size, 2, "a write behind a batch met --max-lag in every worker");
    for (const lagRecords of lagged.values()) assert.ok(lagRecords >= 1);
  } finally {
    for (const conn of opened) conn.close();
    const run = await server.finish("SIGTERM");
    assert.equal(run.code, 0, run.stderr);
  }
  // deno task status reports every shard the workers wrote, by the journal ids they answered with.
  const status = await stemedb(["status", "--data", data.dir, "--json"]);
  assert.equal(status.code, 0, status.stderr);
  const ids = json(status).shards.map((s: { journal: { id: string } }) => s.journal.id);
  assert.deepEqual(new Set(ids), journals);
  const human = await stemedb(["status", "--data", data.dir]);
  for (const id of journals) assert.ok(human.stdout.includes(id), human.stdout);
});

Deno.test("serve --workers 2: every worker cuts a request head slower than --header-timeout with 408", async () => {
  await using data = await tempData();
  const server = spawnStemedb(
    ["serve", "--workers", "2", "--port", "0", "--json", "--data", data.dir],
    { STEMEDB_HEADER_TIMEOUT_MS: "300", STEMEDB_TOKEN: TOKEN },
  );
  const opened: WorkerConn[] = [];
  try {
    const info = JSON.parse(await server.waitFor(isJson));
    assert.equal(info.headerTimeoutMs, 300);
    // A keep-alive connection to each worker, then half a head on each.
    const { conns } = await connectionsPerWorker(info.url, 2, 1);
    for (const [conn] of conns) {
      opened.push(conn);
      await conn.conn.write(encoder.encode("GET /health HTTP/1.1\r\nHost: test\r\n"));
    }
    for (const [conn] of conns) {
      const { text, closed } = await readUntilClosed(conn.conn, 300 + 3000);
      assert.match(text, /^HTTP\/1\.1 408 /);
      assert.ok(closed, "the worker closed the connection");
    }
  } finally {
    for (const conn of opened) conn.close();
    const run = await server.finish("SIGTERM");
    assert.equal(run.code, 0, run.stderr);
  }
});
