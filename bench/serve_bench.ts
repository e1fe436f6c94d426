/**
 * The service on every core: POST /assertions (each durable before its 201)
 * from 64 concurrent clients against the real `deno serve --parallel
 * src/http/mod.ts` (one journal shard per worker, `DENO_JOBS` = cores),
 * against the same with one worker, against `stemedb serve --workers <cores>`
 * and `stemedb serve` (the `listen()` listener with its request head
 * deadline, on worker threads or this one), and against a null `deno serve`
 * handler (`null_server.ts`) on the same machine; medians of interleaved
 * rounds.
 * The load generator is `fetch` in this process, so it shares the cores.
 *
 * Usage: `deno run -A bench/serve_bench.ts [--requests N] [--rounds N]`.
 *
 * @module
 */
import { parseArgs } from "node:util";

const args = parseArgs({
  args: Deno.args,
  options: { requests: { type: "string" }, rounds: { type: "string" } },
});
const REQUESTS = Number(args.values.requests ?? 4000);
const ROUNDS = Number(args.values.rounds ?? 3);
const CONCURRENCY = 64;
const CORES = navigator.hardwareConcurrency;
const MOD = new URL("../src/http/mod.ts", import.meta.url).pathname;
const NULL = new URL("./null_server.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const CLI = new URL("../src/cli/main.ts", import.meta.url).pathname;

interface Server {
  url: string;
  stop(): Promise<void>;
}

/** `stemedb serve --workers <workers>`: its `--json` start report names the port. */
async function startCli(workers: number, dataDir: string): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, CLI, "serve", "--port", "0", "--json", "--workers"]
      .concat(String(workers)),
    env: { STEMEDB_DATA: dataDir, STEMEDB_KV: "", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let port: number | undefined;
  while (port === undefined) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`stemedb serve exited:\n${text}`);
    text += value;
    try {
      port = JSON.parse(text).port;
    } catch {
      // Not whole yet.
    }
  }
  const drained = (async () => {
    while (!(await reader.read()).done);
  })();
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 4 * workers; i++) await (await fetch(`${url}/health`)).body?.cancel();
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await drained.catch(() => {});
    },
  };
}

async function start(module: string, workers: number, dataDir: string): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "serve",
      ...(workers > 1 ? ["--parallel"] : []),
      "--config",
      CONFIG,
      "-A",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      module,
    ],
    env: { DENO_JOBS: String(workers), STEMEDB_DATA: dataDir, STEMEDB_KV: "", NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let url: string | undefined;
  while (url === undefined) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`deno serve exited:\n${text}`);
    text += value;
    url = /Listening on (http:\/\/[^\s/]+)/.exec(text)?.[1];
  }
  // Every worker opens its shard at start; give them a request each first.
  for (let i = 0; i < 4 * workers; i++) await (await fetch(`${url}/health`)).body?.cancel();
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await reader.cancel().catch(() => {});
    },
  };
}

let serial = 0;
function body(): string {
  const i = serial++;
  return JSON.stringify({
    subject: `Bench${i}`,
    predicate: "n",
    object: i,
    source: "serve_bench",
    confidence: 0.5,
    timestamp: i,
  });
}

/** POSTs per second at `CONCURRENCY` in flight; throws on any answer but 201. */
async function load(url: string): Promise<number> {
  let next = 0;
  const begin = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next++ < REQUESTS) {
      const r = await fetch(`${url}/assertions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body(),
      });
      await r.arrayBuffer();
      if (r.status !== 201) throw new Error(`POST /assertions answered ${r.status}`);
    }
  }));
  return REQUESTS / ((performance.now() - begin) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = await Deno.makeTempDir({ prefix: "stemedb_serve_bench_" });
const cases: { name: string; module: string | null; workers: number }[] = [
  { name: `stemedb, deno serve --parallel (${CORES} workers)`, module: MOD, workers: CORES },
  { name: "stemedb, deno serve (1 worker)", module: MOD, workers: 1 },
  { name: "null handler, deno serve (1 worker)", module: NULL, workers: 1 },
  { name: `null handler, deno serve --parallel (${CORES} workers)`, module: NULL, workers: CORES },
  { name: `stemedb serve --workers ${CORES} (listen())`, module: null, workers: CORES },
  { name: "stemedb serve (1 worker, listen())", module: null, workers: 1 },
];
const results = new Map<string, number[]>(cases.map((c) => [c.name, []]));
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) {
      const data = `${dir}/${round}-${c.workers}-${c.module === null ? "cli" : "serve"}`;
      const server = c.module === null
        ? await startCli(c.workers, data)
        : await start(c.module, c.workers, data);
      try {
        results.get(c.name)!.push(await load(server.url));
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
const one = median(results.get(cases[1].name)!);
const nul = median(results.get(cases[2].name)!);
console.log(
  `POST /assertions, ${CONCURRENCY} concurrent clients, ${REQUESTS} requests, median of ${ROUNDS} interleaved rounds, ${CORES} cores`,
);
console.log("| Case | requests/s | vs 1 worker | vs null handler (1 worker) |");
console.log("| --- | ---: | ---: | ---: |");
for (const c of cases) {
  const m = median(results.get(c.name)!);
  console.log(
    `| ${c.name} | ${Math.round(m).toLocaleString("en")} | ${(m / one).toFixed(2)}× | ${
      (m / nul).toFixed(2)
    }× |`,
  );
}
