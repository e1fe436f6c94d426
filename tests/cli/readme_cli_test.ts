/**
 * The README's "Command line" section, run command by command on a clean
 * clone: the install of the `stemedb` command (into a temporary root), then
 * the NDJSON example through `deno task`, then a real command through the
 * installed `stemedb`, from another directory.
 */

import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { git, sectionShellBlocks } from "./_readme.ts";

const decoder = new TextDecoder();

async function sh(script: string, cwd: string, env: Record<string, string>) {
  const out = await new Deno.Command("sh", {
    args: ["-c", script],
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("The README's command line section works command by command on a clean clone", async () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const top = await git(["rev-parse", "--show-toplevel"], here);
  const tmp = await Deno.makeTempDir({ prefix: "stemedb_readme_cli_" });
  try {
    const clone = `${tmp}/repo`;
    await git(["clone", "--quiet", top, clone], tmp);
    const [install, example] = sectionShellBlocks(
      await Deno.readTextFile(`${clone}/README.md`),
      "Command line",
    );
    const env = {
      // The installed command execs `deno`: the Deno running this test.
      PATH: `${tmp}/root/bin:${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}`,
      HOME: Deno.env.get("HOME") ?? tmp,
      DENO_DIR: Deno.env.get("DENO_DIR") ?? "",
      NO_COLOR: "1",
      STEMEDB_DATA: "",
      STEMEDB_KV: "",
    };
    if (env.DENO_DIR === "") delete (env as Record<string, string>).DENO_DIR;

    const [installLine, helpLine] = install.trim().split("\n");
    assert.match(installLine, /^deno install -g .*-n stemedb /);
    // Verbatim, except into a temporary root instead of ~/.deno.
    const installed = await sh(installLine.replace("-g ", `-g --root ${tmp}/root `), clone, env);
    assert.equal(installed.code, 0, installed.stderr);
    const help = await sh(helpLine, tmp, env);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: stemedb <command>/);

    const ran = await sh(example, clone, env);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /appended\s+2 records/);
    assert.match(ran.stdout, /"object":"Tokyo"/);

    // The installed command works from anywhere, on the same options as the tasks.
    await Deno.mkdir(`${tmp}/elsewhere`);
    const data = ["--data", `${tmp}/elsewhere/data`];
    const appended = await sh(
      `stemedb append ${clone}/claims.ndjson ${data.join(" ")} --json && ` +
        `stemedb ingest ${data.join(" ")} && stemedb query subject Japan ${data.join(" ")}`,
      `${tmp}/elsewhere`,
      env,
    );
    assert.equal(appended.code, 0, appended.stderr);
    assert.match(appended.stdout, /"appended": 2/);
    assert.match(appended.stdout, /"object":"Tokyo"/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
