/**
 * HTTP benchmark (issue 15): figures, not timed tests (the exit code is 0
 * whatever the figures are).
 *
 * POST /assertions (one realistic assertion per request, from
 * `bench/_corpus.ts`, each distinct) at 64 requests in flight from a
 * fetch-based load generator in this process, against a server in a child
 * process, for a few seconds per case after a warm-up:
 *
 * - the real service, `stemedb serve --port 0` (journal, Deno KV, ingestor in
 *   the same process), which listens with `listen()` (`node:http`, for its
 *   request head deadline);
 * - the same service over `Deno.serve` and over `listen()` (this file run
 *   with `--server service-deno` and `--server service-node`: `openServed()`
 *   on the same settings, as `stemedb serve` and the `deno serve` entry open
 *   it), so that the pair differs by the listener alone;
 * - the same service with the ingestor left out (this file run with
 *   `--server app`, over `listen()` as `stemedb serve`): the same journal
 *   shard over the same timed file layer, the same store, the same lag
 *   tracker and app options, so that the pair differs by the ingestor alone;
 * - a null handler that answers 201 without reading the request, over
 *   `Deno.serve` (`--server null`) and over `listen()` (`--server
 *   null-node`): what each HTTP stack, this load generator and this machine
 *   allow at all;
 * - the real service under `--workers 2` (two threads, a shard and an
 *   ingestor each, on the same two cores as the load generator): a printed
 *   row beside the targets, against one worker in the same run.
 *
 * Rounds are interleaved (every case once per round, the order alternating);
 * a figure is the median over rounds, a ratio the median of per-round ratios.
 * Beside each rate, the server process's CPU time per request (user +
 * system, from `/proc`), which other work on a shared machine moves less.
 * Targets: ingestor on ≥ 0.85× off; the service ≥ 0.3× the null handler; the
 * service over `listen()` ≥ 0.9× over `Deno.serve`.
 *
 * ```sh
 * deno run -A bench/http_bench.ts                 # 3 s per case, 3 rounds
 * deno run -A bench/http_bench.ts --seconds=5 --rounds=5
 * deno run -A bench/http_bench.ts --cases=on,off,null,w2      # some cases only
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { openStore, resolveConfig } from "../src/config/data_dir.ts";
import { claimShard } from "../src/config/shards.ts";
import { LagTracker } from "../src/ingest/mod.ts";
import { TimedFileLayer } from "../src/wal/mod.ts";
import { type App, createApp, listen } from "../src/http/mod.ts";
import { openServed } from "../src/http/served.ts";
import { serviceEnv } from "../src/config/service_env.ts";
import { recordToJson } from "../src/records/mod.ts";
import { corpus } from "./_corpus.ts";
import { median } from "./wal_measure.ts";
import { perSecond, reportTargets } from "./_targets.ts";
import { type ChildServer, startChild } from "./_server_child.ts";

/** Kernel clock ticks per second, the unit of `/proc/<pid>/stat` CPU times (`getconf CLK_TCK`). */
const CLOCK_TICKS = 100;

const { values: flags, positionals } = parseArgs({
  args: Deno.args,
  options: {
    server: { type: "string" },
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "64" },
    cases: { type: "string" },
  },
  allowPositionals: true,
});

/** Child side: serve `mode` on a free port and print it. */
async function serveChild(mode: string, dataDir: string | undefined): Promise<void> {
  let app: App;
  const nullApp: App = { fetch: () => Promise.resolve(new Response(null, { status: 201 })) };
  if (mode === "null" || mode === "null-node") {
    app = nullApp;
  } else if (mode === "service-deno" || mode === "service-node") {
    // What the deno serve entry and stemedb serve open, on the same settings.
    app = (await openServed(resolveConfig({ data: dataDir }), serviceEnv())).app;
  } else {
    // What src/config/service.ts opens, but for the ingestor.
    const config = resolveConfig({ data: dataDir });
    const fs = new TimedFileLayer();
    const { journal } = await claimShard(config, { fs });
    const store = await openStore(config);
    const lag = await LagTracker.start(journal, store, { lastSyncMs: () => fs.lastSyncMs });
    app = createApp({ journal, store, lag });
  }
  if (mode === "null-node" || mode === "app" || mode === "service-node") {
    const listener = await listen(app, { port: 0 });
    console.log(JSON.stringify({ port: listener.addr.port }));
    return;
  }
  Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    onListen: (addr) => console.log(JSON.stringify({ port: addr.port })),
  }, app.fetch);
}

if (flags.server !== undefined) {
  await serveChild(flags.server, positionals[0]);
} else {
  await main();
}

/** A server child, with the CPU time it has used. */
interface Server extends ChildServer {
  /** CPU time the server process has used so far, in microseconds (Linux). */
  cpuMicros(): Promise<number>;
}

async function startServer(args: string[], env: Record<string, string>): Promise<Server> {
  const child = await startChild({ args, env, announces: "json-stdout" });
  return {
    ...child,
    async cpuMicros() {
      // Fields 14 and 15 of /proc/<pid>/stat, after the command name: utime, stime in ticks.
      const stat = await Deno.readTextFile(`/proc/${child.pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) * (1e6 / CLOCK_TICKS);
    },
  };
}

/** Requests per second of POST /assertions at `concurrency` for `seconds`, after a warm-up. */
async function load(
  server: Server,
  bodies: string[],
  options: { concurrency: number; seconds: number; next: { i: number } },
): Promise<{ rate: number; cpuPerRequest: number; failed: number; statuses: string }> {
  const url = server.url;
  let counting = false;
  let stop = false;
  let done = 0;
  let failed = 0;
  const statuses = new Map<string, number>();
  const worker = async () => {
    while (!stop) {
      const body = bodies[options.next.i++ % bodies.length];
      // The corpus's assertions name epochs the store never holds (the case without an
      // ingestor could not learn them): the referential check is told to accept them.
      const response = await fetch(`${url}/assertions?allowUnknown=true`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      await response.body?.cancel();
      if (!counting) continue;
      if (response.ok) done++;
      else {
        failed++;
        const key = `${response.status} ${response.headers.get("content-type") ?? ""}`.trim();
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
      }
    }
  };
  const workers = Array.from({ length: options.concurrency }, worker);
  await new Promise((resolve) => setTimeout(resolve, 500));
  counting = true;
  const t0 = performance.now();
  const cpu0 = await server.cpuMicros();
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  const ms = performance.now() - t0;
  const counted = done;
  const cpu = await server.cpuMicros() - cpu0;
  stop = true;
  counting = false;
  await Promise.all(workers);
  return {
    rate: counted / (ms / 1000),
    cpuPerRequest: cpu / counted,
    failed,
    statuses: [...statuses].map(([status, n]) => `${n} × ${status}`).join(", "),
  };
}

async function main(): Promise<void> {
  const seconds = Number(flags.seconds);
  const rounds = Number(flags.rounds);
  const concurrency = Number(flags.concurrency);
  const bodies: string[] = [];
  // Enough distinct assertions that no request repeats an earlier one.
  for (const record of corpus({ subjects: 120_000, seed: 2 })) {
    if (record.type !== "assertion") continue;
    const { type: _, ...fields } = recordToJson(record);
    bodies.push(JSON.stringify(fields));
    if (bodies.length === 300_000) break;
  }
  const self = new URL(import.meta.url).pathname;
  const cli = new URL("../src/cli/main.ts", import.meta.url).pathname;
  const root = await Deno.makeTempDir({ prefix: "stemedb-http-bench-" });
  const serve = (dir: string, ...flags: string[]) =>
    startServer(["run", "-A", cli, "serve", "--port", "0", "--json", ...flags], {
      STEMEDB_DATA: dir,
    });
  const child = (mode: string) => (dir: string) =>
    startServer(["run", "-A", self, "--server", mode, dir], {});
  const all: Record<string, { name: string; start: (dir: string) => Promise<Server> }> = {
    on: { name: "service, ingestor on (stemedb serve)", start: (dir) => serve(dir) },
    off: { name: "same service, no ingestor", start: child("app") },
    null: { name: "null Deno.serve handler", start: child("null") },
    deno: { name: "same service over Deno.serve", start: child("service-deno") },
    "null-node": { name: "null handler over listen()", start: child("null-node") },
    node: { name: "same service over listen()", start: child("service-node") },
    w2: { name: "service, --workers 2", start: (dir) => serve(dir, "--workers", "2") },
  };
  const keys = flags.cases === undefined ? Object.keys(all) : flags.cases.split(",");
  for (const key of keys) {
    if (!(key in all)) {
      throw new Error(`Unknown case "${key}": expected one of ${Object.keys(all)}`);
    }
  }
  const cases = Object.fromEntries(keys.map((k) => [all[k].name, all[k].start]));
  console.log(
    `http_bench: Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cpus, ` +
      `POST /assertions, ${concurrency} in flight, ${seconds} s per case, ` +
      `median of ${rounds} interleaved rounds\n`,
  );
  const names = Object.keys(cases);
  const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const cpus: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const next = { i: 0 };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const dir = await Deno.makeTempDir({ dir: root });
        const server = await cases[name](dir);
        try {
          const { rate, cpuPerRequest, failed, statuses } = await load(server, bodies, {
            concurrency,
            seconds,
            next,
          });
          if (failed > 0) {
            throw new Error(`Cannot trust "${name}": ${failed} requests failed (${statuses})`);
          }
          rates[name].push(rate);
          cpus[name].push(cpuPerRequest);
          console.error(
            `  round ${round + 1}: ${name}: ${Math.round(rate)} req/s, ` +
              `${Math.round(cpuPerRequest)} µs CPU a request`,
          );
        } finally {
          await server.stop();
          await Deno.remove(dir, { recursive: true });
        }
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  for (const name of names) {
    console.log(
      `${name.padEnd(48)} ${Math.round(median(rates[name])).toLocaleString("en-US").padStart(8)} ` +
        `req/s (rounds ${rates[name].map((r) => Math.round(r)).join("/")}), ` +
        `${Math.round(median(cpus[name]))} µs CPU a request`,
    );
  }
  const of = (key: string) => rates[all[key].name];
  const has = (...wanted: string[]) => wanted.every((key) => keys.includes(key));
  /** Median of per-round ratios of case `a` over case `b`. */
  const over = (a: string, b: string) => median(of(a).map((r, i) => r / of(b)[i]));
  const req = (rates: number[]) => perSecond(median(rates), "req/s");
  // Printed beside the targets, which keep their definitions.
  const shapes: [string, string, string][] = [
    ["w2", "on", "--workers 2 vs one worker"],
  ];
  console.log("\nshapes (median of per-round ratios)");
  for (const [a, b, what] of shapes) {
    if (!has(a, b)) continue;
    console.log(
      `  ${what}: ${over(a, b).toFixed(3)}× (${req(of(a))} against ${req(of(b))}; ` +
        `${Math.round(median(cpus[all[a].name]))} against ` +
        `${Math.round(median(cpus[all[b].name]))} µs CPU a request)`,
    );
  }
  if (!has("on", "off", "null", "deno", "null-node", "node")) return;
  const [on, off, nul, denoServed, nulNode, nodeServed] = [
    "on",
    "off",
    "null",
    "deno",
    "null-node",
    "node",
  ].map(of);
  const onOff = median(on.map((r, i) => r / off[i]));
  const onNull = median(on.map((r, i) => r / nul[i]));
  const overListen = median(nodeServed.map((r, i) => r / denoServed[i]));
  const nullListen = median(nulNode.map((r, i) => r / nul[i]));
  await reportTargets([{
    key: "http-ingestor",
    path: `POST /assertions c=${concurrency}, ingestor on vs off`,
    figure: req(on),
    peer: `the same service, no ingestor: ${req(off)}`,
    ratio: onOff,
    compare: ">=",
    target: 0.85,
  }, {
    key: "http-null",
    path:
      `POST /assertions c=${concurrency} (one worker, ingestor on) vs a null Deno.serve handler`,
    figure: req(on),
    peer: `a null Deno.serve handler: ${req(nul)}`,
    ratio: onNull,
    compare: ">=",
    target: 0.3,
    digits: 3,
  }, {
    key: "http-node-listener",
    path:
      `POST /assertions c=${concurrency}, the service over listen() (node:http) vs over Deno.serve`,
    figure: req(nodeServed),
    peer: `the same service over Deno.serve: ${req(denoServed)}`,
    ratio: overListen,
    compare: ">=",
    target: 0.9,
  }, {
    key: "http-node-listener-null",
    path: `a null handler c=${concurrency} over listen() (node:http) vs over Deno.serve`,
    figure: req(nulNode),
    peer: `a null Deno.serve handler: ${req(nul)}`,
    ratio: nullListen,
    compare: ">=",
    target: 0.5,
  }]);
}
