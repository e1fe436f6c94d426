/**
 * The README's quick start, run verbatim on a clean clone of this repository:
 * the `task start` command (with `PORT=0` so it picks a free port and prints
 * it), then each curl line against that port.
 */

import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { git, sectionShellBlocks } from "./_readme.ts";

const decoder = new TextDecoder();

/** Commands of a block, with backslash-continued lines joined. */
function commands(block: string): string[] {
  return block.replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) => l !== "");
}

function hasNpx(): boolean {
  try {
    return new Deno.Command("npx", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

async function waitForUrl(stream: ReadableStream<Uint8Array>, seen: string[]): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`The start command exited before listening:\n${text}`);
      text += value;
      seen[0] = text;
      const match = /listening on (http:\/\/\S+)/.exec(text);
      if (match) return match[1];
    }
  } finally {
    reader.releaseLock();
  }
}

Deno.test("The README quick start works verbatim on a clean clone", async () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const top = await git(["rev-parse", "--show-toplevel"], here);
  const tmp = await Deno.makeTempDir({ prefix: "stemedb_readme_" });
  try {
    const clone = `${tmp}/repo`;
    await git(["clone", "--quiet", top, clone], tmp);
    const blocks = sectionShellBlocks(await Deno.readTextFile(`${clone}/README.md`), "Quick start");
    const setup = commands(blocks.find((b) => b.includes("task start")) ?? "");
    assert.deepEqual(setup, [
      "npx --yes deno@2.9.6 task start",
      "npx --yes deno@2.9.6 task test",
    ]);
    const curls = commands(blocks.find((b) => b.includes("curl")) ?? "");
    assert.equal(curls.length, 2);

    // Verbatim, unless npx is missing; then the same task through this Deno.
    const start = hasNpx() ? setup[0] : setup[0].replace("npx --yes deno@2.9.6", Deno.execPath());
    const server = new Deno.Command("setsid", {
      args: ["sh", "-c", start],
      cwd: clone,
      env: { PORT: "0", NO_COLOR: "1", STEMEDB_DATA: "", STEMEDB_KV: "", STEMEDB_TOKEN: "" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = server.stderr.pipeTo(new WritableStream());
    const seen = [""];
    try {
      const url = await waitForUrl(server.stdout, seen);
      const outputs: string[] = [];
      for (const line of curls) {
        const curl = await new Deno.Command("sh", {
          args: ["-c", line.replaceAll("http://127.0.0.1:8000", url)],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.ok(curl.success, `${line}\n${decoder.decode(curl.stderr)}`);
        outputs.push(decoder.decode(curl.stdout));
      }
      const receipt = JSON.parse(outputs[0]);
      assert.match(receipt.hash, /^[0-9a-f]{64}$/);
      const listed = JSON.parse(outputs[1]);
      assert.deepEqual(listed.items.map((a: { hash: string }) => a.hash), [receipt.hash]);
      assert.equal(listed.items[0].object, "France");
    } finally {
      // The task runs under npx, deno task and deno run: stop the whole process group.
      try {
        Deno.kill(-server.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await server.status;
      await server.stdout.cancel().catch(() => {});
      await stderr.catch(() => {});
    }
    assert.ok(seen[0].includes("stemedb listening on"));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
