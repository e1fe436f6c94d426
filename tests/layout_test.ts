/**
 * The layering rules of the README's Layout section, read off the source:
 * every relative import of every module under src/.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "src");

/** Rank of each folder: a module may import only its own folder or a lower rank. */
const RANK: Record<string, number> = {
  // Imports nothing of stemedb, so every layer (the journal's file layer included) records into it.
  telemetry: -1,
  wal: 0,
  records: 1,
  store: 2,
  ingest: 3,
  config: 4,
  http: 5,
  cli: 5,
};

/** The modules outside src/http allowed to import from it. */
const HTTP_IMPORTERS = new Set(["cli/serve.ts"]);

interface Import {
  from: string;
  to: string;
  isStatic: boolean;
  specifier: string;
}

async function imports(): Promise<Import[]> {
  const found: Import[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) {
        // Code only: doc comments hold examples that import the package by name.
        const code = (await Deno.readTextFile(path)).replace(/\/\*[\s\S]*?\*\//g, "");
        const from = relative(SRC, path);
        for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+"([^"]+)"/g)) {
          found.push({ from, to: resolve(from, m[1]), isStatic: true, specifier: m[1] });
        }
        for (const m of code.matchAll(/import\(\s*"([^"]+)"\s*\)/g)) {
          found.push({ from, to: resolve(from, m[1]), isStatic: false, specifier: m[1] });
        }
      }
    }
  };
  await walk(SRC);
  return found;
}

function resolve(from: string, specifier: string): string {
  return specifier.startsWith(".") ? join(dirname(from), specifier) : specifier;
}

const folder = (path: string) => path.split("/")[0];

Deno.test("Imports in src run one way: cli/http → config → ingest → store → records → wal → telemetry", async () => {
  const upward = (await imports())
    .filter((i) => i.specifier.startsWith(".") && folder(i.from) !== folder(i.to))
    .filter((i) => !(RANK[folder(i.to)] < RANK[folder(i.from)]) && !HTTP_IMPORTERS.has(i.from))
    .map((i) => `${i.from} imports ${i.to}`);
  assert.deepEqual(upward, []);
});

Deno.test("Only src/cli/serve.ts imports src/http from outside it, and src/http never imports the CLI", async () => {
  const all = await imports();
  const intoHttp = all.filter((i) => folder(i.to) === "http" && folder(i.from) !== "http");
  assert.deepEqual([...new Set(intoHttp.map((i) => i.from))], [...HTTP_IMPORTERS]);
  const intoCli = all.filter((i) => folder(i.to) === "cli" && folder(i.from) === "http");
  assert.deepEqual(intoCli, []);
});

Deno.test("The demo dataset countries-list is imported by nothing but the demo, and only on demand", async () => {
  const demo = (await imports()).filter((i) => i.specifier === "countries-list");
  assert.deepEqual(demo.map((i) => [i.from, i.isStatic]), [["cli/demo.ts", false]]);
});
