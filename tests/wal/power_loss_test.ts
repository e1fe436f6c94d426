// Power loss, simulated: every crash state of a recorded workload (every
// operation boundary, every variant of its unsynced tail; see _crash_fs.ts)
// is recovered through the real Journal.open(). A representative sweep runs by
// default; STEMEDB_EXHAUSTIVE=1 runs the full one (larger workload, every
// recovery mode, every reordering and tear).
import assert from "node:assert/strict";
import { type Durability, Journal, type RecoveryMode } from "../../src/wal/mod.ts";
import { loadHashers } from "../../src/wal/checksums.ts";
import { decodeHead } from "../../src/wal/durable_head.ts";
import { CrashFs, crashStates, type Image } from "./_crash_fs.ts";
import {
  recordWorkload,
  SEGMENT_BYTES,
  seqPayload,
  sweep,
  type SweepOptions,
} from "./_power_loss.ts";

const EXHAUSTIVE = Deno.env.get("STEMEDB_EXHAUSTIVE") === "1";

/** Where crash states are materialised: tmpfs when there is one (fsync is free there). */
async function scratchDir(): Promise<string> {
  try {
    return await Deno.makeTempDir({ dir: "/dev/shm", prefix: "stemedb_crash_" });
  } catch {
    return await Deno.makeTempDir({ prefix: "stemedb_crash_" });
  }
}

const SWEEP: SweepOptions = EXHAUSTIVE
  ? { reorderLast: Infinity, allSubsetsUpTo: 4, recrashEvery: 6 }
  : { reorderLast: 2, allSubsetsUpTo: 3, recrashEvery: 20 };

/**
 * Durability, recovery mode and workload size (n = 24: 52 appends; 50: 102;
 * 100: 202). The exhaustive sweep gives the default mode of "always" (the
 * promise that nothing acknowledged is lost) the largest workload.
 */
const CASES: [Durability, RecoveryMode, number][] = EXHAUSTIVE
  ? [
    ["always", "tolerate-torn-tail", 100],
    ["always", "point-in-time", 50],
    ["always", "skip-corrupt", 50],
    ["always", "absolute", 50],
    ["interval", "tolerate-torn-tail", 100],
    ["interval", "point-in-time", 50],
    ["interval", "skip-corrupt", 50],
    ["none", "tolerate-torn-tail", 50],
    ["none", "point-in-time", 100],
  ]
  : [
    ["always", "tolerate-torn-tail", 24],
    ["always", "absolute", 24],
    ["interval", "tolerate-torn-tail", 24],
    ["none", "point-in-time", 24],
  ];

for (const [durability, recovery, size] of CASES) {
  Deno.test(`Journal with durability "${durability}" recovers every simulated power loss with "${recovery}", losing nothing the contract protects`, async () => {
    const root = await scratchDir();
    const scratch = await scratchDir();
    try {
      const started = performance.now();
      const rec = await recordWorkload(root, durability, size);
      const result = await sweep(rec, durability, recovery, SWEEP, scratch);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(
        `  ${durability}/${recovery}: ${rec.appends} appends, ${rec.crash.trace.length} ops; ` +
          `${result.boundaries} boundaries × variants = ${result.states} crash states, ` +
          `${result.distinct} distinct recovered (+${result.recrashed} after a crash during ` +
          `recovery), ${result.refused} refused as documented, ${result.lost} acknowledged records lost, ${seconds} s`,
      );
      assert.ok(result.boundaries > 80, "the workload recorded enough operations");
      assert.equal(result.lost, 0, result.failures.slice(0, 10).join("\n"));
      assert.deepEqual(result.failures.slice(0, 10), []);
    } finally {
      await Deno.remove(root, { recursive: true });
      await Deno.remove(scratch, { recursive: true });
    }
  });
}

/** The image of a crash right after the last recorded op, losing everything unsynced. */
function afterPowerLoss(crash: CrashFs): Image {
  const last = crash.trace.length;
  const options = { reorderLast: 0, allSubsetsUpTo: 0, boundaries: (b: number) => b === last };
  for (const state of crashStates(crash.trace, options)) {
    if (state.variant === "lose unsynced") return state.image;
  }
  throw new Error("no crash state at the last boundary");
}

Deno.test("Journal.open() makes a new journal's directories, journal.json, first segment and durable file survive a power loss before it returns", async () => {
  const root = await scratchDir();
  try {
    const crash = new CrashFs(root);
    const journal = await Journal.open(`${root}/a/b/j`, { fs: crash.layer });
    const image = afterPowerLoss(crash);
    await journal.close();
    for (const dir of ["a", "a/b", "a/b/j"]) assert.equal(image.get(dir), "dir", `${dir} survives`);
    assert.ok(image.get("a/b/j/journal.json") instanceof Uint8Array, "journal.json survives");
    assert.ok(
      image.get("a/b/j/00000000000000000000.wal") instanceof Uint8Array,
      "segment survives",
    );
    const durable = image.get("a/b/j/durable");
    assert.ok(durable instanceof Uint8Array, "the durable file's entry survives");
    assert.equal(decodeHead(await loadHashers(), durable), 0, "and so does the end it holds");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("Journal makes a new segment's entry survive a power loss before acknowledging a record in it", async () => {
  const root = await scratchDir();
  try {
    const crash = new CrashFs(root);
    const journal = await Journal.open(`${root}/j`, {
      fs: crash.layer,
      segmentBytes: SEGMENT_BYTES,
    });
    let last = await journal.append(seqPayload(0));
    while ((await journal.segments()).length < 2) last = await journal.append(seqPayload(1));
    const { base, path } = (await journal.segments())[1];
    const image = afterPowerLoss(crash);
    await journal.close();
    const segment = image.get(`j/${path.slice(path.lastIndexOf("/") + 1)}`);
    assert.ok(segment instanceof Uint8Array, "the new segment survives");
    assert.ok(segment.length >= last.next - base, "with the acknowledged record in it");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
