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
  const original = `${data.dir}/original`;
  const copy = `${data.dir}/copy`;
  await populated(original);
  await Deno.mkdir(`${copy}/wal`, { recursive: true });
  for (const entry of Deno.readDirSync(`${original}/wal`)) {
    if (entry.isFile) {
      await Deno.copyFile(`${original}/wal/${entry.name}`, `${copy}/wal/${entry.name}`);
    }
  }
  const segment = [...Deno.readDirSync(`${copy}/wal`)].find((e) => e.name.endsWith(".wal"))!;
  const path = `${copy}/wal/${segment.name}`;
  const bytes = await Deno.readFile(path);
  const recordBytes = bytes.byteLength / 20; // 20 records of equal size
  assert.ok(Number.isInteger(recordBytes));
  const recordOffset = recordBytes * 10; // flip a payload byte of the 11th record
  bytes[recordOffset + 45] ^= 0xff;
  await Deno.writeFile(path, bytes);

  const run = await stemedb(["verify", "--data", copy]);
  assert.equal(run.code, 1);
  assert.match(run.stdout, new RegExp(`segment "[^"]*${segment.name}" offset ${recordOffset}`));
  assert.match(run.stderr, /not sound/);
  const asJson = json(await stemedb(["verify", "--data", copy, "--json"]));
  assert.equal(asJson.sound, false);
  assert.ok(asJson.problems.some((p: { offset: number }) => p.offset === recordOffset));
  assert.equal((await stemedb(["verify", "--data", original])).code, 0, "the original stays sound");
});
