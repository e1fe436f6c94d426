/**
 * Every code block of the README, run as written or accounted for:
 *
 * - ```ts blocks run in a fresh project whose deno.json is the README's own
 *   ```json block with `../stemedb/` pointed at this checkout (type-checked,
 *   as `deno run --check`); a ```text block right after one is what it must print.
 * - ```sh blocks of "Quick start" and "Command line" are run on a clean clone
 *   by tests/cli/readme_quickstart_test.ts and readme_cli_test.ts; those of
 *   "HTTP API" run here, on a clean clone too.
 * - A block whose info string says `ignore` (```sh ignore) is a fragment or a
 *   command this suite cannot run (the suite itself); it is counted, not run.
 *
 * Any other block fails the test: a new block needs a runner or `ignore`.
 */

import assert from "node:assert/strict";
import { dirname } from "node:path";
import { userProject } from "./support/user_project.ts";

const ROOT = new URL("../", import.meta.url);
const decoder = new TextDecoder();

interface Block {
  /** The `## ` section it is in. */
  section: string;
  /** Language: the first word of the info string. */
  lang: string;
  ignore: boolean;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

function readmeBlocks(readme: string): Block[] {
  const blocks: Block[] = [];
  const lines = readme.split("\n");
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith("## ")) section = lines[i].slice(3).trim();
    const open = /^```(\S+)(.*)$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && lines[i] !== "```") body.push(lines[i]);
    assert.ok(i < lines.length, `README line ${start + 1}: a code block is never closed`);
    blocks.push({
      section,
      lang: open[1],
      ignore: /\bignore\b/.test(open[2]),
      code: body.join("\n") + "\n",
      line: start + 1,
    });
  }
  return blocks;
}

const README = await Deno.readTextFile(new URL("README.md", ROOT));
const BLOCKS = readmeBlocks(README);
/** Sections whose sh blocks other tests run on a clean clone, and how many blocks they take. */
const RUN_ELSEWHERE: Record<string, number> = { "Quick start": 2, "Command line": 2 };

/** The README's project deno.json, pointed at this checkout. */
function projectConfig(): Record<string, unknown> {
  const json = BLOCKS.filter((b) => b.lang === "json" && b.section === "Using the library");
  assert.equal(json.length, 1, 'README has one ```json block in "Using the library"');
  const checkout = new URL(".", ROOT).pathname;
  return JSON.parse(json[0].code.replaceAll("../stemedb/", checkout));
}

Deno.test("Every README code block has a runner or is marked ignore", () => {
  const counts = { ts: 0, json: 0, shHere: 0, shElsewhere: 0, text: 0 };
  const ignored: string[] = [];
  for (const [i, block] of BLOCKS.entries()) {
    const where = `README line ${block.line} (${block.section}, \`\`\`${block.lang})`;
    if (block.ignore) ignored.push(where);
    else if (block.lang === "ts") counts.ts++;
    else if (block.lang === "json") counts.json++;
    else if (block.lang === "text") {
      assert.equal(BLOCKS[i - 1]?.lang, "ts", `${where}: expected output follows a ts block`);
      counts.text++;
    } else if (block.lang === "sh") {
      assert.ok(
        block.section in RUN_ELSEWHERE || block.section === "HTTP API",
        `${where}: no test runs this block; run it in tests/readme_test.ts or mark it ignore`,
      );
      if (block.section in RUN_ELSEWHERE) counts.shElsewhere++;
      else counts.shHere++;
    } else assert.fail(`${where}: unknown block language`);
  }
  for (const [section, count] of Object.entries(RUN_ELSEWHERE)) {
    const blocks = BLOCKS.filter((b) => b.section === section && b.lang === "sh" && !b.ignore);
    assert.equal(blocks.length, count, `the ${section} test runs exactly ${count} sh blocks`);
  }
  console.log(
    `README: ${BLOCKS.length} blocks: ${counts.ts} ts and ${counts.shHere} sh run here ` +
      `(${counts.text} with their printed output checked), ${counts.json} json as the project ` +
      `config, ${counts.shElsewhere} sh run by the quick start and command line tests, ` +
      `${ignored.length} marked ignore:`,
  );
  for (const where of ignored) console.log(`  ignored: ${where}`);
  assert.equal(counts.ts, tsBlocks.length);
});

Deno.test("The README's project deno.json maps every npm package the library imports", async () => {
  const config = projectConfig() as { imports: Record<string, string>; unstable: string[] };
  assert.deepEqual(config.unstable, ["kv", "cron"]);
  const repo = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  for (const sub of ["wal", "records", "store", "ingest", "http"]) {
    const target = new URL(repo.exports[`./${sub}`], ROOT).pathname;
    assert.equal(config.imports[`@stemedb/ingest/${sub}`], target);
  }
  const used = new Set<string>();
  for (const sub of ["wal", "records", "store", "ingest", "http"]) {
    for await (const entry of Deno.readDir(new URL(`src/${sub}/`, ROOT))) {
      const text = await Deno.readTextFile(new URL(`src/${sub}/${entry.name}`, ROOT));
      for (const m of text.matchAll(/^(?:import|export)[^"]*from "([^".][^"]*)"/gm)) {
        if (!m[1].startsWith("node:") && !m[1].startsWith("@stemedb/")) used.add(m[1]);
      }
    }
  }
  for (const name of used) {
    assert.equal(config.imports[name], repo.imports[name], `README maps "${name}" as deno.json`);
  }
});

const tsBlocks = BLOCKS.flatMap((block, i) =>
  block.lang === "ts" && !block.ignore
    ? [{ block, expected: BLOCKS[i + 1]?.lang === "text" ? BLOCKS[i + 1].code : null }]
    : []
);

for (const { block, expected } of tsBlocks) {
  Deno.test(`The README's ts block at line ${block.line} (${block.section}) runs and prints what it says`, async () => {
    await using project = await userProject({ config: projectConfig() });
    for (let run = 1; run <= 2; run++) {
      const out = await project.run("main.ts", block.code, ["-A", "--check"]);
      assert.equal(out.code, 0, `run ${run}:\n${out.stdout}\n${out.stderr}`);
      if (expected !== null) {
        assert.equal(out.stdout, expected, `run ${run} prints the README's output`);
      }
    }
  });
}

/** Run `script` in its own process group, which is killed if it outlives `sh` or a minute. */
async function sh(script: string, cwd: string, env: Record<string, string>) {
  const child = new Deno.Command("setsid", {
    args: ["sh", "-c", script],
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stop = () => {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // the group is gone already
    }
  };
  const stdout = new Response(child.stdout).text();
  const stderr = new Response(child.stderr).text();
  let timer = setTimeout(stop, 60_000);
  try {
    const { code } = await child.status;
    // Whatever the script left running (it should have stopped it) holds the pipes open.
    clearTimeout(timer);
    timer = setTimeout(stop, 10_000);
    return { code, stdout: await stdout, stderr: await stderr };
  } finally {
    clearTimeout(timer);
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("The README's HTTP API block runs on a clean clone: auth, ?wait=ingested and ?dedupe=true", async () => {
  const blocks = BLOCKS.filter((b) => b.section === "HTTP API" && b.lang === "sh" && !b.ignore);
  assert.equal(blocks.length, 1);
  const tmp = await Deno.makeTempDir({ prefix: "stemedb_readme_http_" });
  try {
    const clone = `${tmp}/repo`;
    const git = await new Deno.Command("git", {
      args: ["clone", "--quiet", new URL(".", ROOT).pathname, clone],
      stderr: "piped",
    }).output();
    assert.ok(git.success, decoder.decode(git.stderr));
    // As written, but on a free port and with this Deno as `deno`.
    const script = blocks[0].code.replaceAll("8080", String(freePort()));
    const env = {
      PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}`,
      HOME: Deno.env.get("HOME") ?? tmp,
      NO_COLOR: "1",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
    };
    const out = await sh(script, clone, env);
    assert.equal(out.code, 0, out.stderr);
    // The service's own banner shares stdout with curl's answers.
    const answers = out.stdout.split("\n").filter((l) => /^[[{]/.test(l)).map((l) => JSON.parse(l));
    const [assertion, first, second] = answers;
    assert.equal(answers.length, 3, out.stdout);
    assert.equal(assertion.offset, 0);
    const votes = blocks[0].code.match(/"assertion":"([0-9a-f]{64})"/g)!;
    assert.ok(votes.every((v) => v.includes(assertion.hash)), "the votes name that assertion");
    assert.deepEqual(first.map((r: { skipped: boolean }) => r.skipped), [false, false]);
    assert.deepEqual(second.map((r: { skipped: boolean }) => r.skipped), [true, true]);
    assert.deepEqual(
      second.map((r: { hash: string }) => r.hash),
      first.map((r: { hash: string }) => r.hash),
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
