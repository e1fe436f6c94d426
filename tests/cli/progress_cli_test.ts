/**
 * Progress bars of long commands: drawn on a terminal (a pseudo-terminal from
 * `script`), never when stderr is a pipe or with `--json`.
 */

import assert from "node:assert/strict";
import { assertionJson, ndjson, ROOT, stemedb, tempData } from "./_cli.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const RECORDS = 100_000;

function hasScript(): boolean {
  try {
    return new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** Run `stemedb <args>` with stdin, stdout and stderr on a pseudo-terminal; returns all output. */
async function onTerminal(args: string[]): Promise<{ code: number; output: string }> {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const command = [Deno.execPath(), "run", "-A", MAIN, ...args].map(quote).join(" ");
  const out = await new Deno.Command("script", {
    args: ["-qefc", command, "/dev/null"],
    cwd: ROOT,
    env: { NO_COLOR: "1", STEMEDB_DATA: "", STEMEDB_KV: "", STEMEDB_TOKEN: "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, output: new TextDecoder().decode(out.stdout) };
}

/** The last drawing of each bar: the text after the last `\r` of each line. */
function finalLines(output: string): string[] {
  return output.split("\n").map((line) => line.split("\r").filter((p) => p.trim() !== "").at(-1))
    .filter((line): line is string => line !== undefined).map((l) => l.replaceAll("\x1b[K", ""));
}

Deno.test({
  name: "append and ingest draw one bar per phase with rate and ETA on a terminal",
  ignore: !hasScript(),
  async fn() {
    await using data = await tempData();
    const file = `${data.dir}/big.ndjson`;
    await Deno.writeTextFile(
      file,
      ndjson(Array.from({ length: RECORDS }, (_, i) => assertionJson(`s${i}`, "p", i))),
    );
    const append = await onTerminal(["append", file, "--data", data.dir]);
    assert.equal(append.code, 0, append.output);
    const validating =
      /\rvalidate {2}\[[#-]{16}\] +\d+% {2}ETA (\d+[smh])+ {2}[\d.]+ [KM]iB of [\d.]+ MiB {2}[\d.]+ [KM]iB\/s/;
    assert.match(append.output, validating);
    assert.match(append.output, /\rappend {2}\[[#-]{16}\] +\d+% {2}ETA /);
    const lines = finalLines(append.output);
    // Each finished phase keeps its line, with what it took.
    const validate = lines.find((l) => l.startsWith("validate  "));
    assert.match(
      validate ?? "",
      /^validate {2}\[#{16}\] {2}100% {2}in \S+ {2}12\.\d MiB of 12\.\d MiB/,
    );
    assert.ok(lines.some((l) => /^appended +100000 records/.test(l)), append.output);

    const ingest = await onTerminal(["ingest", "--data", data.dir]);
    assert.equal(ingest.code, 0, ingest.output);
    // Records applied of the records behind, estimated from the mean record size so far.
    assert.match(
      ingest.output,
      /\ringest {2}\[[#-]{16}\] +\d+% {2}ETA \S+ {2}[\d,]+ of [\d,]+ {2}[\d,]+ rec\/s/,
    );
    const ingested = finalLines(ingest.output).find((l) => l.startsWith("ingest  "));
    assert.match(ingested ?? "", /100% {2}in \S+ {2}100,000 of 100,000 {2}[\d,]+ rec\/s/);
  },
});

Deno.test({
  name: "append draws no progress when stderr is a pipe, nor with --json on a terminal",
  ignore: !hasScript(),
  async fn() {
    await using data = await tempData();
    const file = `${data.dir}/big.ndjson`;
    await Deno.writeTextFile(
      file,
      ndjson(Array.from({ length: RECORDS }, (_, i) => assertionJson(`s${i}`, "p", i))),
    );
    // The same input draws two bars on a terminal (the test above).
    const piped = await stemedb(["append", file, "--data", `${data.dir}/a`]);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stderr, "", "stderr is a pipe: nothing but errors goes there");
    const asJson = await onTerminal(["append", file, "--data", `${data.dir}/b`, "--json"]);
    assert.equal(asJson.code, 0, asJson.output);
    // The terminal ends lines with \r\n; a bar would redraw with a lone \r.
    assert.doesNotMatch(asJson.output, /\r(?!\n)/);
    assert.equal(JSON.parse(asJson.output).appended, RECORDS);
  },
});
