import assert from "node:assert/strict";
import { userProject } from "../support/user_project.ts";

// The installed command, run without --unstable-kv (as `deno install` without the flags makes it).
const CLI = `
import { main } from "@stemedb/ingest/cli";
Deno.exitCode = await main(["query", "epochs", "--data", "./data", "--json"]);
`;

Deno.test("stemedb run without --unstable-kv fails naming the flag and the deno.json setting", async () => {
  await using project = await userProject({ unstable: [] });
  const run = await project.run("cli.ts", CLI);
  assert.equal(run.code, 1, run.stderr);
  const { error } = JSON.parse(run.stdout);
  assert.equal(error.code, "failure");
  assert.match(error.message, /Deno\.openKv is not available/);
  assert.match(error.hint, /--unstable-kv/);
  assert.match(error.hint, /"unstable": \["kv", "cron"\]/);
  assert.equal(run.stderr.match(/Run deno with --unstable-kv/g)?.length, 1, run.stderr);
});
