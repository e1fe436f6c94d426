/**
 * The exit codes of the README's table, each met the way a first-time user
 * meets it, through the real command line.
 */

import assert from "node:assert/strict";
import { assertionJson, json, ndjson, ROOT, stemedb, tempData } from "./_cli.ts";

/** Codes of the README's "Exit codes" table. */
async function readmeExitCodes(): Promise<number[]> {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const table = /^Exit codes:\n\n((?:\|.*\n)+)/m.exec(readme)?.[1] ?? "";
  return [...table.matchAll(/^\| `(\d+)` /gm)].map((m) => Number(m[1]));
}

interface Case {
  what: string;
  args: string[];
  stdin?: string;
  env?: Record<string, string>;
  code: number;
  stderr?: RegExp;
}

Deno.test("Every exit code of the README's table is what the command line returns", async () => {
  await using data = await tempData();
  const d = ["--data", data.dir];
  const seeded = await stemedb(["append", ...d], {
    stdin: ndjson([assertionJson("Japan", "capital", "Tokyo")]),
  });
  assert.equal(seeded.code, 0, seeded.stderr);
  const cases: Case[] = [
    { what: "overview", args: ["--help"], code: 0 },
    { what: "help for a command", args: ["help", "append"], code: 0 },
    { what: "success", args: ["status", ...d], code: 0 },
    { what: "no command", args: [], code: 2, stderr: /^Usage: stemedb <command>/ },
    { what: "unknown command", args: ["frobnicate"], code: 2, stderr: /Unknown command/ },
    { what: "unknown option", args: ["status", "--frob", ...d], code: 2, stderr: /Unknown option/ },
    { what: "missing argument", args: ["query", ...d], code: 2, stderr: /missing argument/ },
    {
      what: "extra argument",
      args: ["verify", "now", ...d],
      code: 2,
      stderr: /unexpected argument/,
    },
    { what: "option without value", args: ["status", "--data"], code: 2, stderr: /needs a value/ },
    {
      what: "missing required option",
      args: ["repair", ...d],
      code: 2,
      stderr: /without option "--recovery"/,
    },
    {
      what: "bad repair mode",
      args: ["repair", "--recovery", "fix-it", ...d],
      code: 2,
      stderr: /--recovery/,
    },
    { what: "bad number", args: ["append", "--batch", "many", ...d], stdin: "", code: 2 },
    { what: "bad port", args: ["serve", "--port", "70000", ...d], code: 2, stderr: /--port/ },
    { what: "bad --kv", args: ["status", "--kv", "ftp://x", ...d], code: 2, stderr: /--kv/ },
    { what: "bad cron", args: ["ingest", "--cron", "often", ...d], code: 2, stderr: /schedule/ },
    {
      what: "bad environment variable",
      args: ["status", ...d],
      env: { STEMEDB_KV_TIMEOUT_MS: "soon" },
      code: 2,
      stderr: /Invalid STEMEDB_KV_TIMEOUT_MS "soon" in the environment/,
    },
    { what: "malformed hash", args: ["query", "assertion", "xyz", ...d], code: 2, stderr: /hex/ },
    { what: "unknown query", args: ["query", "planets", ...d], code: 2, stderr: /Unknown query/ },
    {
      what: "not found",
      args: ["query", "assertion", "ab".repeat(32), ...d],
      code: 1,
      stderr: /Cannot find assertion/,
    },
    {
      what: "missing input file",
      args: ["append", `${data.dir}/nope.ndjson`, ...d],
      code: 1,
      stderr: /Cannot read input/,
    },
    { what: "invalid input", args: ["append", ...d], stdin: "{oops\n", code: 1, stderr: /line 1:/ },
    {
      what: "no journal yet",
      args: ["status", "--data", `${data.dir}/empty`],
      code: 1,
      stderr: /no journal there yet[^\n]*\nAppend records first \("stemedb append <file>"\)/,
    },
  ];
  for (const c of cases) {
    const run = await stemedb(c.args, { stdin: c.stdin, env: c.env });
    assert.equal(run.code, c.code, `${c.what}: stemedb ${c.args.join(" ")}\n${run.stderr}`);
    if (c.stderr) assert.match(run.stderr, c.stderr, c.what);
    if (c.code === 2 && c.args.length > 0) {
      assert.match(run.stderr, /--help/, `${c.what}: a usage error points at --help`);
    }
  }
  // The locked journal, the port in use, a KV that is not a database and a run stopped
  // part-way (exit code 1) are in errors_test.ts and append_resume_test.ts; an unsound log in
  // verify_test.ts; a locked journal met by repair in repair_test.ts; a cursor past the end of
  // a cut journal in cursor_rewind_test.ts; a bad STEMEDB_PROGRESS_MS in progress_cli_test.ts.
  const documented = await readmeExitCodes();
  assert.deepEqual(documented, [0, 1, 2]);
  assert.deepEqual([...new Set(cases.map((c) => c.code))].sort(), documented);
});

Deno.test("A usage error with --json prints one error document and nothing else on stdout", async () => {
  const run = await stemedb(["append", "--batch", "0", "--json"], { stdin: "" });
  assert.equal(run.code, 2);
  const { error } = json(run);
  assert.equal(error.code, "usage");
  assert.match(error.message, /--batch/);
});
