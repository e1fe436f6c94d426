import assert from "node:assert/strict";
import { assertionJson, json, ndjson, stemedb, tempData } from "./_cli.ts";

async function populated(dir: string): Promise<void> {
  const input = ndjson(
    Array.from(
      { length: 20 },
      (_, n) => assertionJson(`subject ${String(n).padStart(2, "0")}`, "index", n),
    ),
  );
  const run = await stemedb(["append", "--data", dir], { stdin: input });
  assert.equal(run.code, 0, run.stderr);
}

Deno.test("verify on a sound log exits 0", async () => {
  await using data = await tempData();
  await populated(data.dir);
  const run = await stemedb(["verify", "--data", data.dir, "--json"]);
  assert.equal(run.code, 0, run.stderr);
  const report = json(run);
  assert.equal(report.sound, true);
  assert.equal(report.records, 20);
  assert.deepEqual(report.problems, []);
});

Deno.test("verify on a copy with one flipped byte exits non-zero naming segment and offset", async () => {
  await using data = await tempData();
  await populated(data.dir);
  const segment = [...Deno.readDirSync(`${data.dir}/wal`)].find((e) => e.name.endsWith(".wal"))!;
  const path = `${data.dir}/wal/${segment.name}`;
  const bytes = await Deno.readFile(path);
  const record = bytes.byteLength / 20; // equal-size records: flip a payload byte of record 10
  const recordOffset = Math.floor(record) * 10;
  bytes[recordOffset + 45] ^= 0xff;
  await Deno.writeFile(path, bytes);
  const run = await stemedb(["verify", "--data", data.dir]);
  assert.notEqual(run.code, 0);
  assert.match(run.stdout, new RegExp(`segment "[^"]*${segment.name}" offset ${recordOffset}`));
  const asJson = json(await stemedb(["verify", "--data", data.dir, "--json"]));
  assert.equal(asJson.sound, false);
  assert.ok(asJson.problems.some((p: { offset: number }) => p.offset === recordOffset));
});
