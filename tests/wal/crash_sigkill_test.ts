import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createBLAKE3 } from "hash-wasm";
import { type Durability, Journal, verifyJournal } from "../../src/wal/mod.ts";
import { bytesEqual, delay, hex, lines, payloadFor, Prng, randomSeed } from "./_child_util.ts";

const CHILD = fileURLToPath(new URL("./_child_appender.ts", import.meta.url));
/** Small segments, so that rotations happen every few hundred appends. */
const SEGMENT_BYTES = 64 * 1024;

/** One acknowledged append, as the child printed it. */
interface Ack {
  offset: number;
  next: number;
  round: number;
  task: number;
  seq: number;
}

/** When a round's child is killed. */
type KillMode =
  | { kind: "early"; ms: number } // often before or during Journal.open and recovery
  | { kind: "timed"; ms: number }
  | { kind: "after-acks"; acks: number }
  | { kind: "at-rotation"; extraMs: number }; // right after a new segment file appears

function pickKillMode(prng: Prng): KillMode {
  const pick = prng.int(0, 3);
  if (pick === 0) return { kind: "early", ms: prng.int(0, 250) };
  if (pick === 1) return { kind: "timed", ms: prng.int(250, 900) };
  if (pick === 2) return { kind: "after-acks", acks: prng.int(1, 4000) };
  return { kind: "at-rotation", extraMs: prng.int(0, 3) };
}

async function countSegments(dir: string): Promise<number> {
  let count = 0;
  for await (const entry of Deno.readDir(dir)) if (entry.name.endsWith(".wal")) count++;
  return count;
}

/** What one round's child did before it was killed. */
interface Round {
  /** Whether Journal.open() (and its recovery) finished before the kill. */
  opened: boolean;
  /** The appends it acknowledged. */
  acks: Ack[];
}

/** Runs one child until it is SIGKILLed. */
async function runRound(
  dir: string,
  round: number,
  mode: KillMode,
  durability: Durability,
): Promise<Round> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, dir, String(round), String(SEGMENT_BYTES), durability],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let killed = false;
  const kill = () => {
    if (killed) return;
    killed = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited: the status check below reports why.
    }
  };
  // Whatever the mode, never let a round run for long.
  const timers = [setTimeout(kill, 2_000)];
  if (mode.kind === "early" || mode.kind === "timed") timers.push(setTimeout(kill, mode.ms));

  let rotationWatch: Promise<void> = Promise.resolve();
  const acks: Ack[] = [];
  let opened = false;
  for await (const line of lines(child.stdout)) {
    const fields = line.split(" ");
    if (fields[0] === "open") {
      opened = true;
      if (mode.kind === "at-rotation") {
        rotationWatch = (async () => {
          const start = await countSegments(dir);
          while (!killed && await countSegments(dir) === start) await delay(1);
          if (mode.extraMs > 0) await delay(mode.extraMs);
          kill();
        })();
      }
      continue;
    }
    const [offset, next, r, task, seq] = fields.map(Number);
    acks.push({ offset, next, round: r, task, seq });
    if (mode.kind === "after-acks" && acks.length >= mode.acks) kill();
  }
  killed = true;
  for (const timer of timers) clearTimeout(timer);
  await rotationWatch;
  const status = await child.status;
  const errors = await stderr;
  assert.equal(
    status.signal,
    "SIGKILL",
    `Child of round ${round} ended by itself (code ${status.code}): ${errors}`,
  );
  return { opened, acks };
}

/**
 * Runs `rounds` children on one journal directory, each SIGKILLed at a random
 * moment, then checks every acknowledged record against the reopened journal.
 */
async function crashRounds(rounds: number, durability: Durability): Promise<void> {
  const seed = Number(Deno.env.get("WAL_CRASH_SEED") ?? randomSeed());
  const prng = new Prng(seed);
  const dir = await Deno.makeTempDir({ prefix: "wal_crash_" });
  try {
    const acks: Ack[] = [];
    const modes: string[] = [];
    let killedInOpen = 0;
    for (let round = 0; round < rounds; round++) {
      const mode = pickKillMode(prng);
      modes.push(mode.kind);
      const result = await runRound(dir, round, mode, durability);
      acks.push(...result.acks);
      if (!result.opened) killedInOpen++;
    }
    assert.ok(acks.length >= 1_000, `Only ${acks.length} appends were acknowledged`);
    assert.ok(new Set(acks.map((a) => a.round)).size >= rounds / 4, "Too few rounds appended");

    const journal = await Journal.open(dir, { segmentBytes: SEGMENT_BYTES });
    try {
      const byOffset = new Map<number, { payload: Uint8Array; digest: Uint8Array; next: number }>();
      let expected = journal.firstOffset;
      assert.equal(expected, 0, "No segment was ever removed, so the journal starts at 0");
      for await (const record of journal.readFrom(journal.firstOffset)) {
        assert.equal(record.offset, expected, `Gap or overlap in readFrom at offset ${expected}`);
        assert.ok(record.next > record.offset, `Record at ${record.offset} does not advance`);
        byOffset.set(record.offset, record);
        expected = record.next;
      }
      assert.equal(expected, journal.durableOffset, "readFrom stopped short of durableOffset");

      const blake3 = await createBLAKE3();
      for (const ack of acks) {
        const id = `round ${ack.round} task ${ack.task} seq ${ack.seq} at offset ${ack.offset}`;
        const record = byOffset.get(ack.offset);
        assert.ok(record, `Acknowledged record lost: ${id}`);
        assert.equal(record.next, ack.next, `Acknowledged record changed length: ${id}`);
        const payload = payloadFor([ack.round, ack.task, ack.seq]);
        assert.ok(bytesEqual(record.payload, payload), `Acknowledged payload differs: ${id}`);
        blake3.init();
        blake3.update(record.payload);
        assert.equal(hex(record.digest), blake3.digest("hex"), `Digest does not verify: ${id}`);
      }
      // Spot-check read(): the same bytes through the random-access path.
      for (let i = 0; i < 50; i++) {
        const ack = acks[prng.int(0, acks.length - 1)];
        const record = await journal.read(ack.offset);
        assert.ok(bytesEqual(record.payload, payloadFor([ack.round, ack.task, ack.seq])));
      }
      console.log(
        `seed ${seed}, durability "${durability}": ${acks.length} acknowledged appends ` +
          `over ${rounds} SIGKILLs ` +
          `(${
            modes.join(", ")
          }; ${killedInOpen} before open finished), ${byOffset.size} records, ` +
          `${(await journal.segments()).length} segments`,
      );
    } finally {
      await journal.close();
    }
    const report = await verifyJournal(dir);
    assert.deepEqual(report.problems, [], "verifyJournal finds problems after recovery");
  } catch (error) {
    console.error(`crash_sigkill_test failed with seed ${seed} (replay: WAL_CRASH_SEED=${seed})`);
    throw error;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Journal keeps every acknowledged record across 20+ SIGKILLs", async () => {
  await crashRounds(24, "always");
});

// A SIGKILL is a process crash, not a power loss: the page cache survives, so
// even modes that acknowledge before fdatasync must keep every acknowledged record.
Deno.test('Journal in "interval" durability keeps every acknowledged record across SIGKILLs', async () => {
  await crashRounds(8, "interval");
});

Deno.test('Journal in "none" durability keeps every acknowledged record across SIGKILLs', async () => {
  await crashRounds(8, "none");
});
