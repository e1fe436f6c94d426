/**
 * An append that stops part-way — an I/O failure, SIGTERM — says exactly what
 * is durable, and `--from-line` appends the rest without duplicates.
 */

import assert from "node:assert/strict";
import { assertionJson, exitWithin, json, ndjson, ROOT, stemedb, tempData } from "./_cli.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const ENV = { NO_COLOR: "1", STEMEDB_DATA: "", STEMEDB_KV: "", STEMEDB_TOKEN: "" };

function records(count: number): string {
  return ndjson(Array.from({ length: count }, (_, i) => assertionJson(`s${i}`, "p", i)));
}

async function recordCount(dir: string): Promise<number> {
  const run = await stemedb(["verify", "--data", dir, "--json"]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(json(run).sound, true);
  return json(run).records;
}

Deno.test({
  name: "append failing part-way (file size limit) reports what is durable; --from-line resumes it",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using data = await tempData();
    const file = `${data.dir}/input.ndjson`;
    await Deno.writeTextFile(file, records(3000));
    // RLIMIT_FSIZE: segment writes past 128 KiB fail with EFBIG (SIGXFSZ ignored), a real
    // I/O error mid-run, possibly in the middle of a batch.
    const argv = [MAIN, "append", file, "--data", data.dir, "--batch", "100", "--json"];
    const out = await new Deno.Command("sh", {
      args: ["-c", `trap "" XFSZ; ulimit -f 256; exec "$0" run -A "$@"`, Deno.execPath(), ...argv],
      cwd: ROOT,
      env: ENV,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    const report = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(report.ok, false);
    assert.equal(report.error.code, "failure");
    assert.match(report.error.message, /too large/i);
    assert.ok(report.appended > 0 && report.appended < 3000, `appended ${report.appended}`);
    assert.equal(report.firstOffset, 0);
    assert.ok(report.lastOffset < report.nextOffset);
    // Every line is one record, so what is durable is exactly the lines before the resume point.
    assert.equal(report.resumeFromLine, report.appended + 1);
    assert.equal(await recordCount(data.dir), report.appended);
    const durable =
      `Appended ${report.appended} record(s), durable: offsets 0 .. ${report.nextOffset}`;
    assert.ok(stderr.includes(durable), stderr);
    assert.ok(stderr.includes(`--from-line ${report.resumeFromLine}`), stderr);

    const from = String(report.resumeFromLine);
    const resumed = await stemedb([
      "append",
      file,
      "--data",
      data.dir,
      "--from-line",
      from,
      "--json",
    ]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(json(resumed).appended, 3000 - report.appended);
    assert.equal(json(resumed).firstOffset, report.nextOffset);
    assert.equal(await recordCount(data.dir), 3000);
  },
});

Deno.test("append stopped by SIGTERM appends the lines in hand, says so, and --from-line resumes", async () => {
  await using data = await tempData();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "append",
      "-",
      "--data",
      data.dir,
      "--skip-invalid",
      "--batch",
      "100",
      "--json",
    ],
    cwd: ROOT,
    env: ENV,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const all = records(400).split("\n");
  const writer = child.stdin.getWriter();
  // Streamed stdin: 250 lines now, the rest never arrive.
  await writer.write(new TextEncoder().encode(all.slice(0, 250).join("\n") + "\n"));
  const deadline = Date.now() + 20_000;
  while (true) {
    const verify = await stemedb(["verify", "--data", data.dir, "--json"]);
    if (verify.code === 0 && json(verify).records >= 200) break;
    assert.ok(Date.now() < deadline, "The first batches never became durable");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill("SIGTERM");
  const status = await exitWithin(child, 15_000);
  const [stdout, stderr] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  await writer.close().catch(() => {});
  assert.equal(status.code, 1, stderr);
  const report = JSON.parse(stdout);
  // The lines read whole when the signal came are appended too (all 250, unless the pipe
  // still held some): the report and the journal agree exactly either way.
  assert.ok(report.appended >= 200 && report.appended <= 250, `appended ${report.appended}`);
  assert.equal(report.resumeFromLine, report.appended + 1);
  assert.match(stderr, /Stopped by signal/);
  assert.ok(stderr.includes(`Appended ${report.appended} record(s)`), stderr);
  assert.equal(await recordCount(data.dir), report.appended);

  const file = `${data.dir}/input.ndjson`;
  await Deno.writeTextFile(file, all.join("\n"));
  const from = String(report.resumeFromLine);
  const resumed = await stemedb([
    "append",
    file,
    "--data",
    data.dir,
    "--from-line",
    from,
    "--json",
  ]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(json(resumed).appended, 400 - report.appended);
  assert.equal(await recordCount(data.dir), 400);
});
