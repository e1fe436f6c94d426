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
import { type ChildServer, startChild } from "./_server_child.ts";

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

/** Start a service or null handler; give every worker a request first (each opens its shard). */
async function warmed(server: ChildServer, workers: number): Promise<ChildServer> {
  for (let i = 0; i < 4 * workers; i++) {
    await (await fetch(`${server.url}/health`)).body?.cancel();
  }
  return server;
}

/** `stemedb serve --workers <workers>`: its `--json` start report names the port. */
async function startCli(workers: number, dataDir: string): Promise<ChildServer> {
  const args = ["run", "-A", "--config", CONFIG, CLI, "serve", "--port", "0", "--json"];
  return warmed(
    await startChild({
      args: [...args, "--workers", String(workers)],
      env: { STEMEDB_DATA: dataDir, STEMEDB_KV: "" },
      announces: "json-stdout",
      quiet: true,
    }),
    workers,
  );
}

/** `deno serve [--parallel] <module>`: it says where it listens on stderr. */
async function start(module: string, workers: number, dataDir: string): Promise<ChildServer> {
  const args = ["serve", ...(workers > 1 ? ["--parallel"] : []), "--config", CONFIG, "-A"];
  return warmed(
    await startChild({
      args: [...args, "--port", "0", "--host", "127.0.0.1", module],
      env: { DENO_JOBS: String(workers), STEMEDB_DATA: dataDir, STEMEDB_KV: "" },
      announces: "listening-stderr",
      quiet: true,
    }),
    workers,
  );
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
