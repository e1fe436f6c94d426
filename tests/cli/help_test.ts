import assert from "node:assert/strict";
import { stemedb } from "./_cli.ts";

const COMMANDS = ["append", "ingest", "status", "query", "verify", "serve", "start", "demo"];

Deno.test("Every command answers --help with its usage and exit code 0", async () => {
  const runs = await Promise.all(COMMANDS.map((c) => stemedb([c, "--help"])));
  runs.forEach((run, i) => {
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^Usage: stemedb ${COMMANDS[i]}`));
    assert.match(run.stdout, /--json/);
    assert.match(run.stdout, /--data/);
  });
});

Deno.test("The overview lists every command", async () => {
  const run = await stemedb(["--help"]);
  assert.equal(run.code, 0);
  for (const c of COMMANDS) assert.match(run.stdout, new RegExp(`^  ${c} `, "m"));
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
