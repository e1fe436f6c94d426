import assert from "node:assert/strict";
import { ROOT, stemedb } from "./_cli.ts";

const COMMANDS = [
  "append",
  "ingest",
  "status",
  "query",
  "verify",
  "repair",
  "migrate",
  "serve",
  "start",
  "demo",
];

Deno.test("Every command answers --help with its usage and exit code 0", async () => {
  const runs = await Promise.all(COMMANDS.map((c) => stemedb([c, "--help"])));
  runs.forEach((run, i) => {
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^Usage: stemedb ${COMMANDS[i]}`));
    assert.match(run.stdout, /--json/);
    assert.match(run.stdout, /--data/);
  });
});

Deno.test("The overview lists every command, and these tests cover every command it lists", async () => {
  const run = await stemedb(["--help"]);
  assert.equal(run.code, 0);
  const listed = [...run.stdout.split("\nCommands:\n")[1].matchAll(/^ {2}([a-z-]+) /gm)]
    .map((m) => m[1]);
  assert.deepEqual([...listed].sort(), [...COMMANDS].sort());
});

Deno.test("An unknown flag is a usage error with exit code 2", async () => {
  const run = await stemedb(["status", "--bogus"]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /Unknown option "--bogus"/);
  assert.equal(run.stdout, "");
});

Deno.test("An unknown command is a usage error with exit code 2", async () => {
  const run = await stemedb(["frobnicate"]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /Unknown command "frobnicate"/);
});

Deno.test("A usage error with --json still prints exactly one JSON document", async () => {
  const run = await stemedb(["query", "nonsense", "x", "--json"]);
  assert.equal(run.code, 2);
  assert.equal(JSON.parse(run.stdout).error.code, "usage");
});

const COMMON = new Set(["--help", "--json", "--data", "--kv"]);

/** The usage lines and the command-specific options of `stemedb <command> --help`. */
function parseHelp(text: string): { usage: string; options: string[] } {
  const [head, options = ""] = text.split("\nOptions:\n");
  const usage = head.split("\n\n")[0];
  const flags = [...options.matchAll(/^ {2}(?:-\w, | {4})(--[\w-]+)/gm)].map((m) => m[1]);
  return { usage, options: flags.filter((f) => !COMMON.has(f)) };
}

Deno.test("Every command's usage lines, and its README row, list every option it takes", async () => {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const rows = readme.split("\n").filter((l) => l.startsWith("| `deno task "));
  for (const command of COMMANDS) {
    const run = await stemedb([command, "--help"]);
    const { usage, options } = parseHelp(run.stdout);
    const row = rows.filter((r) => r.startsWith(`| \`deno task ${command}`)).join("\n");
    assert.notEqual(row, "", `README has a row for ${command}`);
    for (const option of options) {
      assert.ok(usage.includes(option), `Usage of ${command} lacks ${option}:\n${usage}`);
      assert.ok(row.includes(option), `README row of ${command} lacks ${option}:\n${row}`);
    }
  }
});

Deno.test("stemedb help <command> shows that command's help", async () => {
  const run = await stemedb(["help", "verify"]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, (await stemedb(["verify", "--help"])).stdout);
});
