/**
 * The README's "Command line" section, run command by command on a clean
 * clone: the install of the `stemedb` command (into a temporary root), then
 * the NDJSON example through `deno task`, then real commands through the
 * installed `stemedb`, from another directory; then the JSR form of the
 * install, with the clone's entry in place of the package.
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

/** The README's `deno install … jsr:@stemedb/ingest/cli` line (an `ignore` block: JSR is not reachable in tests). */
function jsrInstallLine(readme: string): string {
  const line = readme.split("\n").find((l) => l.startsWith("deno install ") && l.includes("jsr:"));
  assert.ok(line, "README shows the JSR install");
  assert.match(
    line,
    /^deno install -g -A --unstable-kv --unstable-cron -n stemedb jsr:@stemedb\/ingest\/cli$/,
  );
  return line;
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
    const status = await sh(`stemedb status ${data.join(" ")}`, `${tmp}/elsewhere`, env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^lag +0 B, 0 records$/m);

    // The JSR form, with the clone's entry in place of the package: JSR brings the package's
    // imports but not its "unstable", so the imports come from a config without it.
    const jsrLine = jsrInstallLine(await Deno.readTextFile(`${clone}/README.md`));
    const config = JSON.parse(await Deno.readTextFile(`${clone}/deno.json`));
    await Deno.mkdir(`${tmp}/jsr`);
    await Deno.writeTextFile(`${tmp}/jsr/deno.json`, JSON.stringify({ imports: config.imports }));
    const local = jsrLine.replace("-g ", `-g --root ${tmp}/jsr-root `)
      .replace("jsr:@stemedb/ingest/cli", `--config ${tmp}/jsr/deno.json ${clone}/src/cli/main.ts`);
    const jsrInstalled = await sh(local, `${tmp}/elsewhere`, env);
    assert.equal(jsrInstalled.code, 0, jsrInstalled.stderr);
    const jsrEnv = { ...env, PATH: `${tmp}/jsr-root/bin:${env.PATH}` };
    const jsrData = `--data ${tmp}/elsewhere/jsr-data`;
    const jsrRun = await sh(
      `stemedb append ${clone}/claims.ndjson ${jsrData} && stemedb status ${jsrData} --json`,
      `${tmp}/elsewhere`,
      jsrEnv,
    );
    assert.equal(jsrRun.code, 0, jsrRun.stderr);
    assert.match(jsrRun.stdout, /appended\s+2 records/);
    assert.match(jsrRun.stdout, /"lagRecords": 2/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
