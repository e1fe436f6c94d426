/**
 * What clients that never finish their request head cost: the resident
 * memory of the real service (`deno serve src/http/mod.ts` in a child
 * process) idle, then holding N connections that sent half a request head
 * and stalled, against a null `deno serve` handler (`null_server.ts`) held
 * the same way in the same run, with how long each kept them open and the
 * process's open-file limit, the only cap on how many it holds.
 *
 * Deno 2.9.6's HTTP server has no header-read timeout (`Deno.serve` takes no
 * such option; a connection idle, in the request line or dripping headers
 * stayed open past 150 s in an experiment), so the figures are a bound per
 * connection, not a cut: memory under slow clients is that figure times the
 * connections held, and the open-file limit bounds those.
 *
 * Usage: `deno run -A bench/slow_clients_bench.ts [--connections N] [--hold-ms N] [--rounds N]`.
 *
 * @module
 */
import { parseArgs } from "node:util";

const args = parseArgs({
  args: Deno.args,
  options: {
    connections: { type: "string" },
    "hold-ms": { type: "string" },
    rounds: { type: "string" },
  },
});
const CONNECTIONS = Number(args.values.connections ?? 1000);
const HOLD_MS = Number(args.values["hold-ms"] ?? 35_000);
const ROUNDS = Number(args.values.rounds ?? 1);
const MOD = new URL("../src/http/mod.ts", import.meta.url).pathname;
const NULL = new URL("./null_server.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const HALF_HEAD = "POST /assertions HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n";

interface Served {
  child: Deno.ChildProcess;
  hostname: string;
  port: number;
  stop(): Promise<void>;
}

async function start(module: string, dataDir: string): Promise<Served> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["serve", "--config", CONFIG, "-A", "--port", "0", "--host", "127.0.0.1", module],
    env: { STEMEDB_DATA: dataDir, NO_COLOR: "1", OTEL_DENO: "" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let match: RegExpExecArray | null = null;
  while (match === null) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`${module} did not start:\n${text}`);
    text += value;
    match = /Listening on http:\/\/([^:\s]+):(\d+)/.exec(text);
  }
  const drain = (async () => {
    while (!(await reader.read()).done) { /* keep the pipe empty */ }
  })();
  return {
    child,
    hostname: match[1],
    port: Number(match[2]),
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await drain;
    },
  };
}

/** Resident set size of `pid` in KiB (Linux). */
async function rssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

/** The soft open-file limit of `pid` (Linux): how many connections it can hold at most. */
async function openFileLimit(pid: number): Promise<string> {
  const limits = await Deno.readTextFile(`/proc/${pid}/limits`);
  return /Max open files\s+(\S+)/.exec(limits)![1];
}

/** A connection that sent half a request head; resolves when the server closes it. */
async function stall(served: Served): Promise<{ conn: Deno.TcpConn; closed: Promise<number> }> {
  const conn = await Deno.connect({ hostname: served.hostname, port: served.port });
  await conn.write(new TextEncoder().encode(HALF_HEAD));
  const started = performance.now();
  const closed = conn.read(new Uint8Array(1024)).then(
    () => performance.now() - started,
    () => performance.now() - started,
  );
  return { conn, closed };
}

interface Row {
  name: string;
  idleKiB: number;
  heldKiB: number;
  closedByServer: number;
  answers: boolean;
  limit: string;
}

async function measure(name: string, module: string): Promise<Row> {
  const dataDir = await Deno.makeTempDir({ prefix: "stemedb_slow_bench_" });
  const served = await start(module, dataDir);
  const held: { conn: Deno.TcpConn; closed: Promise<number> }[] = [];
  try {
    // Open the service (the entry opens journal and KV on its first request) before the baseline.
    await (await fetch(`http://${served.hostname}:${served.port}/health`)).body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const idleKiB = await rssKiB(served.child.pid);
    for (let i = 0; i < CONNECTIONS; i++) held.push(await stall(served));
    let closedByServer = 0;
    for (const h of held) h.closed.then(() => closedByServer++);
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
    const heldKiB = await rssKiB(served.child.pid);
    const health = await fetch(`http://${served.hostname}:${served.port}/health`);
    await health.body?.cancel();
    const limit = await openFileLimit(served.child.pid);
    return { name, idleKiB, heldKiB, closedByServer, answers: health.ok, limit };
  } finally {
    for (const { conn } of held) {
      try {
        conn.close();
      } catch {
        // closed by the server
      }
    }
    await Promise.all(held.map((h) => h.closed));
    await served.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
}

const rows: Row[] = [];
for (let round = 0; round < ROUNDS; round++) {
  rows.push(await measure("stemedb (deno serve src/http/mod.ts)", MOD));
  rows.push(await measure("null deno serve handler", NULL));
}
console.log(
  `${CONNECTIONS} connections each holding half a request head for ${HOLD_MS / 1000} s:`,
);
for (const r of rows) {
  const perConn = (r.heldKiB - r.idleKiB) / CONNECTIONS;
  console.log(
    `${r.name.padEnd(38)} RSS ${(r.idleKiB / 1024).toFixed(1)} MiB idle, ${
      (r.heldKiB / 1024).toFixed(1)
    } MiB holding them: ${
      perConn.toFixed(1)
    } KiB each; closed by the server: ${r.closedByServer}; ` +
      `still answers: ${r.answers}; open-file limit ${r.limit}`,
  );
}
