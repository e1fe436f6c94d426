// The crash-simulating file layer itself: what it keeps and drops on a simulated power loss.
import assert from "node:assert/strict";
import { writeAllSync } from "../../src/wal/file_layer.ts";
import { CrashFs, type CrashState, crashStates, type Image, SECTOR } from "./_crash_fs.ts";
import { withTempDir } from "./_util.ts";

const ALL = { reorderLast: Infinity, allSubsetsUpTo: 8 };

/** The crash states at the end of the trace. */
function atEnd(crash: CrashFs): CrashState[] {
  const last = crash.trace.length;
  return [...crashStates(crash.trace, { ...ALL, boundaries: (b) => b === last })];
}

function variant(states: CrashState[], name: string): Image {
  const state = states.find((s) => s.variant === name);
  assert.ok(state, `no variant "${name}" in ${states.map((s) => s.variant).join(", ")}`);
  return state.image;
}

/** A new file with its entry synced, as the journal creates files. */
async function createSynced(crash: CrashFs, name: string) {
  const file = await crash.layer.open(`${crash.root}/${name}`, {
    read: true,
    write: true,
    createNew: true,
  });
  await crash.layer.syncDir(crash.root);
  return file;
}

Deno.test("CrashFs keeps synced data and drops or keeps unsynced writes on a simulated power loss", async () => {
  await withTempDir(async (root) => {
    const crash = new CrashFs(root);
    const file = await createSynced(crash, "f");
    writeAllSync(file, new Uint8Array([1, 2, 3]));
    await file.syncData();
    writeAllSync(file, new Uint8Array([4, 5]));
    file.close();
    const states = atEnd(crash);
    assert.deepEqual(variant(states, "lose unsynced").get("f"), new Uint8Array([1, 2, 3]));
    assert.deepEqual(variant(states, "keep unsynced").get("f"), new Uint8Array([1, 2, 3, 4, 5]));
    // The real file got everything: the layer records, it does not hold back.
    assert.deepEqual(await Deno.readFile(`${root}/f`), new Uint8Array([1, 2, 3, 4, 5]));
  });
});

Deno.test("CrashFs loses a synced file whose directory entry was never synced", async () => {
  await withTempDir(async (root) => {
    const crash = new CrashFs(root);
    const file = await crash.layer.open(`${root}/f`, { write: true, createNew: true });
    writeAllSync(file, new Uint8Array([1]));
    await file.syncData();
    file.close();
    const states = atEnd(crash);
    assert.equal(variant(states, "lose unsynced").has("f"), false);
    assert.deepEqual(variant(states, "keep unsynced").get("f"), new Uint8Array([1]));
  });
});

Deno.test("CrashFs reverts an unsynced rename and keeps a synced one", async () => {
  await withTempDir(async (root) => {
    const crash = new CrashFs(root);
    (await createSynced(crash, "a")).close();
    await crash.layer.rename(`${root}/a`, `${root}/b`);
    let image = variant(atEnd(crash), "lose unsynced");
    assert.deepEqual([...image.keys()], ["a"]);
    await crash.layer.syncDir(root);
    image = variant(atEnd(crash), "lose unsynced");
    assert.deepEqual([...image.keys()], ["b"]);
  });
});

Deno.test("CrashFs tears an unsynced write into every subset of its sectors, and growth without data", async () => {
  await withTempDir(async (root) => {
    const crash = new CrashFs(root);
    const file = await createSynced(crash, "f");
    writeAllSync(file, new Uint8Array(3 * SECTOR).fill(7));
    file.close();
    const torn = atEnd(crash).filter((s) => s.variant.startsWith("tear"));
    // 2^3 - 2 proper non-empty subsets, and "size only".
    assert.equal(torn.length, 7);
    const sizeOnly = torn.find((s) => s.variant.includes("size only"))!.image.get("f");
    assert.deepEqual(sizeOnly, new Uint8Array(3 * SECTOR));
    const middle = torn.find((s) => s.variant.includes("(sectors 1)"))!.image.get(
      "f",
    ) as Uint8Array;
    assert.equal(middle.length, 2 * SECTOR);
    assert.ok(middle.subarray(0, SECTOR).every((b) => b === 0), "sector 0 never written");
    assert.ok(middle.subarray(SECTOR).every((b) => b === 7), "sector 1 written whole");
  });
});

Deno.test("CrashFs reorders unsynced writes across files: any one may reach the disk alone", async () => {
  await withTempDir(async (root) => {
    const crash = new CrashFs(root);
    const a = await createSynced(crash, "a");
    const b = await createSynced(crash, "b");
    writeAllSync(a, new Uint8Array([1]));
    writeAllSync(b, new Uint8Array([2]));
    a.close();
    b.close();
    const states = atEnd(crash);
    const onlyB = states.filter((s) =>
      s.image.get("a") instanceof Uint8Array && (s.image.get("a") as Uint8Array).length === 0 &&
      (s.image.get("b") as Uint8Array).length === 1
    );
    assert.ok(onlyB.length > 0, "the later write survives without the earlier one");
  });
});
