/**
 * What clients that never finish their request head cost, and whether they
 * are cut: the resident memory of the real service idle, just after N
 * connections each sent half a request head and stalled, and once they have
 * been held `--hold-ms`, with how many the server closed and when. Three
 * servers, in the same run:
 *
 * - `stemedb serve` (one worker), which listens with `listen()` over
 *   `node:http`: the heads are answered 408 and closed at its header
 *   timeout (`--header-timeout`, 10 s by default; this bench passes
 *   `--header-ms`);
 * - the same service under `deno serve src/http/mod.ts`: Deno 2.9.6's
 *   `Deno.serve` has no header-read timeout (denoland/deno#3515; a
 *   connection idle, in the request line or dripping headers stayed open
 *   past 150 s in an experiment), so every one is held for as long as the
 *   client likes, bounded only by the process's open-file limit;
 * - a null `deno serve` handler (`null_server.ts`) held the same way: what
 *   the runtime's listener alone costs per connection.
 *
 * Usage: `deno run -A bench/slow_clients_bench.ts [--connections N] [--hold-ms N] [--header-ms N] [--rounds N]`.
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
    "header-ms": { type: "string" },
  },
});
const CONNECTIONS = Number(args.values.connections ?? 1000);
const HOLD_MS = Number(args.values["hold-ms"] ?? 35_000);
const ROUNDS = Number(args.values.rounds ?? 1);
const HEADER_MS = Number(args.values["header-ms"] ?? 10_000);
const CLI = new URL("../src/cli/main.ts", import.meta.url).pathname;
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

/** How a server is started: `deno serve <module>`, or `stemedb serve` (the node:http listener). */
type Launch = { module: string } | { cli: string[] };

async function start(launch: Launch, dataDir: string): Promise<Served> {
  const args = "module" in launch
    ? ["serve", "--config", CONFIG, "-A", "--port", "0", "--host", "127.0.0.1", launch.module]
    : [
      "run",
      "--config",
      CONFIG,
      "-A",
      CLI,
      "serve",
      "--port",
      "0",
      "--data",
      dataDir,
      ...launch.cli,
    ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env: { STEMEDB_DATA: dataDir, NO_COLOR: "1", OTEL_DENO: "" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // deno serve says where it listens on stderr, stemedb serve on stdout: read both.
  const lines = new TransformStream<string, string>();
  const writer = lines.writable.getWriter();
  const pump = (stream: ReadableStream<Uint8Array>) =>
    (async () => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        await writer.write(text);
      }
    })();
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]).then(() => writer.close());
  const reader = lines.readable.getReader();
  let text = "";
  let match: RegExpExecArray | null = null;
  while (match === null) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`${JSON.stringify(launch)} did not start:\n${text}`);
    text += value;
    match = /[Ll]istening on http:\/\/([^:\s]+):(\d+)/.exec(text);
  }
  const drain = (async () => {
    while (!(await reader.read()).done) { /* keep the pipes empty */ }
  })();
  return {
    child,
    hostname: match[1],
    port: Number(match[2]),
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await drain;
      await pumps;
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

/** What became of a stalled connection: when the server closed it, and whether it answered 408. */
interface Cut {
  ms: number;
  answered408: boolean;
}

/** A connection that sent half a request head; `closed` resolves when the connection ends. */
async function stall(served: Served): Promise<{ conn: Deno.TcpConn; closed: Promise<Cut> }> {
  const conn = await Deno.connect({ hostname: served.hostname, port: served.port });
  await conn.write(new TextEncoder().encode(HALF_HEAD));
  const started = performance.now();
  const closed = (async () => {
    const buf = new Uint8Array(1024);
    let text = "";
    while (true) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return { ms: performance.now() - started, answered408: text.startsWith("HTTP/1.1 408 ") };
  })();
  return { conn, closed };
}

interface Row {
  name: string;
  idleKiB: number;
  peakKiB: number;
  heldKiB: number;
  cuts: Cut[];
  answers: boolean;
  limit: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(name: string, launch: Launch): Promise<Row> {
  const dataDir = await Deno.makeTempDir({ prefix: "stemedb_slow_bench_" });
  const served = await start(launch, dataDir);
  const held: { conn: Deno.TcpConn; closed: Promise<Cut> }[] = [];
  try {
    // Open the service (the entry opens journal and KV on its first request) before the baseline.
    await (await fetch(`http://${served.hostname}:${served.port}/health`)).body?.cancel();
    await sleep(500);
    const idleKiB = await rssKiB(served.child.pid);
    for (let i = 0; i < CONNECTIONS; i++) held.push(await stall(served));
    const peakKiB = await rssKiB(served.child.pid);
    const cuts: Cut[] = [];
    for (const h of held) h.closed.then((cut) => cuts.push(cut));
    await sleep(HOLD_MS);
    const heldKiB = await rssKiB(served.child.pid);
    const health = await fetch(`http://${served.hostname}:${served.port}/health`);
    await health.body?.cancel();
    const limit = await openFileLimit(served.child.pid);
    return { name, idleKiB, peakKiB, heldKiB, cuts: [...cuts], answers: health.ok, limit };
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

const rows: Row[] = [];
const cases: [string, Launch][] = [
  [`stemedb serve, listen() (--header-timeout ${HEADER_MS})`, {
    cli: ["--header-timeout", String(HEADER_MS)],
  }],
  ["stemedb, deno serve src/http/mod.ts", { module: MOD }],
  ["null deno serve handler", { module: NULL }],
];
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, launch] of cases) rows.push(await measure(name, launch));
}
console.log(
  `${CONNECTIONS} connections each sending half a request head, then holding for ${
    HOLD_MS / 1000
  } s:`,
);
for (const r of rows) {
  const perConn = (r.peakKiB - r.idleKiB) / CONNECTIONS;
  const ms = r.cuts.map((c) => c.ms);
  const cut = r.cuts.length === 0
    ? "none closed by the server"
    : `${r.cuts.length} closed by the server (${
      r.cuts.filter((c) => c.answered408).length
    } answered 408), after ${(median(ms) / 1000).toFixed(1)} s median, ${
      (Math.max(...ms) / 1000).toFixed(1)
    } s at most`;
  console.log(
    `${r.name.padEnd(44)} RSS ${mib(r.idleKiB)} idle, ${mib(r.peakKiB)} holding them ` +
      `(${perConn.toFixed(1)} KiB each), ${mib(r.heldKiB)} after ${HOLD_MS / 1000} s; ${cut}; ` +
      `still answers: ${r.answers}; open-file limit ${r.limit}`,
  );
}
