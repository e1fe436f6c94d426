/**
 * The layering rules of the README's Layout section, read off the source:
 * every relative import of every module under src/.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "src");
/** Modules at the root that import src/: the package root and the cron entry. */
const ROOT_MODULES = ["mod.ts", "cron.ts"];

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

/** Every module of src/ (paths relative to src/), then the root modules (as `../mod.ts`). */
async function modules(): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) found.push(relative(SRC, path));
    }
  };
  await walk(SRC);
  return [...found.sort(), ...ROOT_MODULES.map((m) => join("..", m))];
}

/** A module's code without its comments: doc comments hold examples that import the package by name. */
async function code(from: string): Promise<string> {
  return (await Deno.readTextFile(join(SRC, from)))
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

async function imports(): Promise<Import[]> {
  const found: Import[] = [];
  for (const from of await modules()) {
    const text = await code(from);
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+"([^"]+)"/g)) {
      found.push({ from, to: resolve(from, m[1]), isStatic: true, specifier: m[1] });
    }
    // Imported for its effects only: `import "./x.ts";`.
    for (const m of text.matchAll(/(?:^|\n)\s*import\s+"([^"]+)"/g)) {
      found.push({ from, to: resolve(from, m[1]), isStatic: true, specifier: m[1] });
    }
    for (const m of text.matchAll(/import\(\s*"([^"]+)"\s*\)/g)) {
      found.push({ from, to: resolve(from, m[1]), isStatic: false, specifier: m[1] });
    }
  }
  return found;
}

/** Where a relative specifier of `from` leads, relative to src/ (a bare specifier as it is). */
function resolve(from: string, specifier: string): string {
  return specifier.startsWith(".") ? relative(SRC, join(SRC, dirname(from), specifier)) : specifier;
}

/** The src/ folder of a path relative to src/; a root module is its own folder (`..`). */
const folder = (path: string) => path.split("/")[0];

Deno.test("Imports in src run one way: cli/http → config → ingest → store → records → wal → telemetry", async () => {
  const upward = (await imports())
    .filter((i) => folder(i.from) in RANK && i.specifier.startsWith("."))
    .filter((i) => folder(i.from) !== folder(i.to))
    .filter((i) => !(RANK[folder(i.to)] < RANK[folder(i.from)]) && !HTTP_IMPORTERS.has(i.from))
    .map((i) => `${i.from} imports ${i.to}`);
  assert.deepEqual(upward, []);
});

Deno.test("The root mod.ts and cron.ts import only the library layers and config, never src/http or src/cli", async () => {
  const fromRoot = (await imports()).filter((i) =>
    folder(i.from) === ".." && i.specifier.startsWith(".")
  );
  assert.ok(fromRoot.length > 0);
  const wrong = fromRoot.filter((i) =>
    !["wal", "records", "store", "ingest", "config"].includes(folder(i.to))
  );
  assert.deepEqual(wrong.map((i) => `${i.from} imports ${i.to}`), []);
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

Deno.test("Nothing outside src/config/env.ts reads the environment, and it names every STEMEDB_ variable src uses", async () => {
  const { ENV } = await import("../src/config/env.ts");
  const known = new Set<string>(Object.values(ENV));
  const readers: string[] = [];
  const unknown: string[] = [];
  for (const from of await modules()) {
    const text = await code(from);
    // A default parameter `env = Deno.env` hands the environment to env.ts's readers: not a read.
    if (/Deno\.env\.(get|toObject|has)\b|process\.env\b/.test(text) && from !== "config/env.ts") {
      readers.push(from);
    }
    for (const [name] of text.matchAll(/\bSTEMEDB_[A-Z0-9_]+/g)) {
      if (!known.has(name)) unknown.push(`${from}: ${name}`);
    }
  }
  assert.deepEqual(readers, []);
  assert.deepEqual(unknown, []);
});

Deno.test("The README's environment table lists every variable of ENV, and no STEMEDB_ variable that is not one", async () => {
  const { ENV } = await import("../src/config/env.ts");
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const section = readme.slice(readme.indexOf("## Environment variables"));
  const table = section.slice(0, section.indexOf("\n## "));
  const rows = [...table.matchAll(/^\| `([A-Z0-9_]+)` /gm)].map((m) => m[1]);
  const missing = Object.values(ENV).filter((name) => !rows.includes(name));
  assert.deepEqual(missing, []);
  const extra = rows.filter((name) =>
    name.startsWith("STEMEDB_") && !Object.values<string>(ENV).includes(name)
  );
  assert.deepEqual(extra, []);
});

Deno.test("The README's Layout table names every folder under src/ and every top-level folder of the repository", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const section = readme.slice(readme.indexOf("## Layout"));
  const table = section.slice(0, section.indexOf("\n## "));
  const named = new Set(
    [...table.matchAll(/^\| ([^|]+)\|/gm)].flatMap((m) =>
      [...m[1].matchAll(/`([^`]+)`/g)].map((n) => n[1])
    ),
  );
  const folders: string[] = [];
  for await (const entry of Deno.readDir(ROOT)) {
    // Dot folders other than .ci are tooling (.git), data/ and node_modules/ are not the repository's.
    const skip = entry.name.startsWith(".") && entry.name !== ".ci";
    if (entry.isDirectory && !skip && !["data", "node_modules"].includes(entry.name)) {
      folders.push(entry.name === "src" ? "" : entry.name);
    }
  }
  for await (const entry of Deno.readDir(SRC)) {
    if (entry.isDirectory) folders.push(`src/${entry.name}`);
  }
  const missing = folders.filter((f) => f !== "" && !named.has(f));
  assert.deepEqual(missing.sort(), []);
});

Deno.test("Doc examples in src import the package as @stemedb/ingest/<sub>, never by a relative path", async () => {
  const relativeImports: string[] = [];
  for (const from of await modules()) {
    const text = await Deno.readTextFile(join(SRC, from));
    for (const doc of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
      for (const m of doc[0].matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]*)"/g)) {
        relativeImports.push(`${from}: ${m[1]}`);
      }
    }
  }
  assert.deepEqual(relativeImports, []);
});
