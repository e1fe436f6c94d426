// The power-loss sweep of power_loss_test.ts (not a test file): a small
// workload recorded through CrashFs, then recovery of every crash state.
import {
  CorruptJournalError,
  type Durability,
  type FileLayer,
  Journal,
  JournalError,
  type RecoveryMode,
  verifyJournal,
} from "../../src/wal/mod.ts";
import {
  CrashFs,
  crashStates,
  type CrashStatesOptions,
  fingerprint,
  type Image,
  materialise,
} from "./_crash_fs.ts";

/** Small segments, so that the workload rotates every few records. */
export const SEGMENT_BYTES = 1024;

/** Payload of append number `seq`: the number, then bytes derived from it. */
export function seqPayload(seq: number): Uint8Array {
  const p = new Uint8Array(8 + ((seq * 7) % 60));
  new DataView(p.buffer).setUint32(0, seq, true);
  for (let i = 4; i < p.length; i++) p[i] = (seq * 31 + i * 13) & 0xff;
  return p;
}

function seqOf(p: Uint8Array): number {
  return p.length >= 4 ? new DataView(p.buffer, p.byteOffset).getUint32(0, true) : -1;
}

/** An acknowledged append: its number, where it landed, and the trace index of its ack. */
interface Ack {
  seq: number;
  offset: number;
  next: number;
  at: number;
}

/** What the workload did, besides the trace. */
export interface Recording {
  crash: CrashFs;
  acks: Ack[];
  /** Cleanups: trace index of the call, and the offset records below which may go. */
  cleanups: { at: number; offset: number }[];
  appends: number;
}

/**
 * The workload: single appends, concurrent appends, batches, a cleanup, a
 * close and reopen, more appends, close. `n` scales it (n = 40: about 90 appends).
 */
export async function recordWorkload(
  root: string,
  durability: Durability,
  n: number,
): Promise<Recording> {
  const crash = new CrashFs(root);
  const acks: Ack[] = [];
  const cleanups: { at: number; offset: number }[] = [];
  let seq = 0;
  const options = {
    fs: crash.layer,
    durability,
    segmentBytes: SEGMENT_BYTES,
    syncIntervalMs: 2,
  };
  const ack = (s: number, r: { offset: number; next: number }) => {
    acks.push({ seq: s, offset: r.offset, next: r.next, at: crash.trace.length });
    crash.mark({ ack: s });
  };
  const one = async (journal: Journal) => {
    const s = seq++;
    ack(s, await journal.append(seqPayload(s)));
  };
  let journal = await Journal.open(`${root}/j`, options);
  for (let i = 0; i < n; i++) await one(journal);
  for (let i = 0; i < n / 8; i++) await Promise.all([0, 1, 2, 3].map(() => one(journal)));
  for (let i = 0; i < n / 20; i++) {
    const first = seq;
    const batch = [0, 1, 2, 3, 4].map(() => seqPayload(seq++));
    const results = await journal.appendBatch(batch);
    results.forEach((r, j) => ack(first + j, r));
  }
  const segments = await journal.segments();
  const offset = segments[Math.floor(segments.length / 2)].base;
  cleanups.push({ at: crash.trace.length, offset });
  crash.mark({ cleanup: offset });
  await journal.removeSegmentsBefore(offset);
  await journal.close();
  crash.mark("closed");
  journal = await Journal.open(`${root}/j`, options);
  for (let i = 0; i < n / 4; i++) await one(journal);
  await journal.close();
  return { crash, acks, cleanups, appends: seq };
}

/** What a sweep explores. */
export interface SweepOptions extends CrashStatesOptions {
  /** Crash the recovery of every this-many-th distinct state in its turn (0: never). */
  recrashEvery: number;
}

/** Outcome of a sweep. */
export interface SweepResult {
  /** Operation boundaries visited. */
  boundaries: number;
  /** Crash states generated (boundaries × variants). */
  states: number;
  /** Distinct disk images recovered. */
  distinct: number;
  /** Distinct states of a crash during recovery (of a sample of the states), recovered again. */
  recrashed: number;
  /** Recoveries refused as the mode table says ("absolute"; durability "none" before point-in-time). */
  refused: number;
  /** Acknowledged records that recovery should have kept and did not. */
  lost: number;
  /** Every failed expectation, with the boundary and variant. */
  failures: string[];
}

/**
 * Recover every crash state of `rec` with `recovery` and check it: recovery
 * succeeds, or refuses as the mode table says (CorruptJournalError with
 * "absolute", or with durability "none" in any mode but point-in-time),
 * modifying nothing, and then the fallback mode succeeds and cuts what the
 * refusal was about (a torn tail for "absolute", damage otherwise); the records read back are consecutive appends
 * with their exact payloads; none of those the contract protects is missing
 * ("always": every acknowledged one; "interval" and "none": every one
 * acknowledged before a completed fdatasync of a segment); and the log takes
 * an append and verifies clean afterwards.
 */
export async function sweep(
  rec: Recording,
  durability: Durability,
  recovery: RecoveryMode,
  options: SweepOptions,
  scratch: string,
): Promise<SweepResult> {
  const trace = rec.crash.trace;
  const segmentSyncs: number[] = [];
  trace.forEach((op, i) => {
    if (op.op === "fsync" && op.path.endsWith(".wal")) segmentSyncs.push(i);
  });
  const protectedAt = (ack: Ack): number => {
    if (durability === "always") return ack.at;
    const sync = segmentSyncs.find((i) => i > ack.at);
    return sync ?? Infinity;
  };
  const result: SweepResult = {
    boundaries: 0,
    states: 0,
    distinct: 0,
    recrashed: 0,
    refused: 0,
    lost: 0,
    failures: [],
  };
  // One recovery per distinct image, held to every record any crash state with
  // that image protects: recovery reads only the disk, so an image that keeps
  // the union of those records keeps each state's own share of them.
  const images = new Map<string, { image: Image; where: string; required: Map<number, Ack> }>();
  let lastBoundary = -1;
  for (const state of crashStates(trace, options)) {
    result.states++;
    if (state.boundary !== lastBoundary) {
      result.boundaries++;
      lastBoundary = state.boundary;
    }
    const key = fingerprint(state.image);
    let entry = images.get(key);
    if (entry === undefined) {
      const where = `boundary ${state.boundary}/${trace.length} (${state.variant})`;
      entry = { image: state.image, where, required: new Map() };
      images.set(key, entry);
    }
    for (const a of rec.acks) {
      if (
        protectedAt(a) < state.boundary &&
        !rec.cleanups.some((c) => c.at < state.boundary && a.next <= c.offset)
      ) entry.required.set(a.seq, a);
    }
  }
  // Crashes during recovery lead to the same few images again and again, across states.
  const recrashSeen = new Set<string>();
  const pool = new Pool(4);
  let n = 0;
  for (const { image, where, required } of images.values()) {
    result.distinct++;
    const check = {
      durability,
      recovery,
      required: [...required.values()].sort((a, b) => a.seq - b.seq),
    };
    const recrash = options.recrashEvery > 0 && result.distinct % options.recrashEvery === 0;
    const dir = `${scratch}/${n++}`;
    await pool.run(async () => {
      await Deno.mkdir(dir);
      try {
        // Recovery runs through a crash layer where its own crashes are explored.
        const crash = recrash ? new CrashFs(dir) : null;
        if (crash !== null) await crash.seed(image);
        else await materialise(image, dir);
        const seeded = crash?.trace.length ?? 0;
        let opened = 0;
        const outcome = await recoverAndCheck(`${dir}/j`, {
          ...check,
          fs: crash?.layer,
          onOpened: () => opened = crash?.trace.length ?? 0,
        });
        tally(result, outcome, where);
        if (crash !== null && opened > seeded) {
          await recrashRecovery(crash, { from: seeded, to: opened, seen: recrashSeen }, {
            check,
            options,
            result,
            where,
            scratch,
          });
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
  await pool.drain();
  return result;
}

/** Runs up to `size` checks at once: each one mostly waits on file operations. */
class Pool {
  #size: number;
  #running = new Set<Promise<void>>();
  #error: unknown = null;
  constructor(size: number) {
    this.#size = size;
  }
  /** Start `task` once a slot is free. */
  async run(task: () => Promise<void>): Promise<void> {
    while (this.#running.size >= this.#size) await Promise.race(this.#running);
    if (this.#error !== null) throw this.#error;
    const p: Promise<void> = task().catch((e) => {
      this.#error ??= e;
    }).finally(() => this.#running.delete(p));
    this.#running.add(p);
  }
  /** Wait for every started task; rethrow the first failure. */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.race(this.#running);
    if (this.#error !== null) throw this.#error;
  }
}

function tally(result: SweepResult, outcome: Outcome, where: string): void {
  if (outcome.refused) result.refused++;
  result.lost += outcome.lost;
  for (const f of outcome.failures) result.failures.push(`${where}: ${f}`);
}

/** Where a recovery's crashes are explored: its ops in the trace, and the images already checked. */
interface RecoverySpan {
  from: number;
  to: number;
  /** Keys of the images already recovered, shared by the whole sweep. */
  seen: Set<string>;
}

/** Crash recovery itself at each of its operation boundaries, and recover again. */
async function recrashRecovery(
  crash: CrashFs,
  span: RecoverySpan,
  run: {
    check: Check;
    options: CrashStatesOptions;
    result: SweepResult;
    where: string;
    scratch: string;
  },
): Promise<void> {
  const { check, options, result, where, scratch } = run;
  const { from, to } = span;
  const boundaries = (b: number) => b > from && b <= to;
  const required = `${check.required.length}:${check.required[0]?.seq}`;
  for (const state of crashStates(crash.trace, { ...options, boundaries })) {
    const key = `${required}:${fingerprint(state.image)}`;
    if (span.seen.has(key)) continue;
    span.seen.add(key);
    result.recrashed++;
    const dir = await Deno.makeTempDir({ dir: scratch });
    try {
      await materialise(state.image, dir);
      const outcome = await recoverAndCheck(`${dir}/j`, check);
      tally(
        result,
        outcome,
        `${where}, then recovery crashed at its op ${state.boundary - from} (${state.variant})`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
}

/** What a recovery must achieve. */
interface Check {
  durability: Durability;
  recovery: RecoveryMode;
  /** The acknowledged appends the contract protects. */
  required: Ack[];
  /** The file layer recovery runs through (the real one by default). */
  fs?: FileLayer;
  /** Called when Journal.open() has returned. */
  onOpened?: () => void;
}

interface Outcome {
  refused: boolean;
  lost: number;
  failures: string[];
}

async function recoverAndCheck(dir: string, check: Check): Promise<Outcome> {
  const { durability, recovery, required } = check;
  const failures: string[] = [];
  let refused = false;
  let journal: Journal;
  const open = (mode: RecoveryMode) =>
    Journal.open(dir, { recovery: mode, segmentBytes: SEGMENT_BYTES, fs: check.fs });
  // The mode table: "absolute" refuses a torn tail, and a "none" journal after a
  // power loss may need point-in-time; a refusal modifies nothing.
  const mayRefuse = recovery === "absolute" ||
    (durability === "none" && recovery !== "point-in-time");
  const fallback: RecoveryMode = durability === "none" ? "point-in-time" : "tolerate-torn-tail";
  const before = mayRefuse ? await snapshot(dir) : null;
  try {
    journal = await open(recovery);
  } catch (e) {
    if (!(mayRefuse && e instanceof CorruptJournalError)) {
      return { refused, lost: 0, failures: [`recovery "${recovery}" threw ${e}`] };
    }
    refused = true;
    const after = await snapshot(dir);
    for (const [name, bytes] of before!) {
      const now = after.get(name);
      if (
        now === undefined || now.length !== bytes.length || !now.every((b, i) => b === bytes[i])
      ) {
        failures.push(`recovery "${recovery}" refused but modified "${name}"`);
      }
    }
    try {
      journal = await open(fallback);
    } catch (e2) {
      return {
        refused,
        lost: 0,
        failures: [...failures, `"${fallback}" after a refusal threw ${e2}`],
      };
    }
    // Refused exactly as the table says: "absolute" only where the fallback cuts
    // something (a torn tail), the others only at damage (point-in-time drops).
    const cuts = journal.recovery!.events.some((e) =>
      e.kind === "dropped" || (recovery === "absolute" && e.kind === "truncated")
    );
    if (!cuts) {
      failures.push(
        `recovery "${recovery}" refused (${e}) what "${fallback}" recovers without a cut`,
      );
    }
  }
  check.onOpened?.();
  let lost = 0;
  try {
    const found = new Map<number, { offset: number; next: number }>();
    let prev = -1;
    // A sound log reads from its first offset to its end without an error.
    for await (const r of journal.readFrom(journal.firstOffset)) {
      const seq = seqOf(r.payload);
      if (seq < 0 || !bytesEqual(r.payload, seqPayload(seq))) {
        failures.push(`record at ${r.offset} is not an append the workload made`);
        break;
      }
      if (prev >= 0 && seq !== prev + 1) failures.push(`append ${seq} follows ${prev}`);
      prev = seq;
      found.set(seq, { offset: r.offset, next: r.next });
    }
    // Each protected append where it was acknowledged: found by the scan (its
    // payload checked there), or else read at its offset, whatever the scan found.
    for (const a of required) {
      const seen = found.get(a.seq);
      let kept = seen !== undefined && seen.offset === a.offset && seen.next === a.next;
      if (!kept) {
        try {
          const r = await journal.read(a.offset);
          kept = r.next === a.next && bytesEqual(r.payload, seqPayload(a.seq));
        } catch (e) {
          if (!(e instanceof JournalError)) throw e;
        }
      }
      if (!kept) {
        lost++;
        if (lost <= 3) failures.push(`acknowledged append ${a.seq} at ${a.offset} lost`);
      }
    }
    const extra = await journal.append(seqPayload(1_000_000));
    const back = await journal.read(extra.offset);
    if (seqOf(back.payload) !== 1_000_000) {
      failures.push("the append after recovery reads back wrong");
    }
    await journal.close();
    const report = await verifyJournal(dir);
    if (report.problems.length > 0) {
      failures.push(`verifyJournal after recovery: ${JSON.stringify(report.problems)}`);
    }
    if (report.records !== found.size + 1) {
      failures.push(`verifyJournal counts ${report.records} records, read ${found.size} + 1`);
    }
  } catch (e) {
    failures.push(`after recovery: ${e}`);
  } finally {
    await journal.close();
  }
  return { refused, lost, failures };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The journal's own files (segments, journal.json, durable) and their bytes. */
async function snapshot(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (
        entry.name.endsWith(".wal") || entry.name === "journal.json" || entry.name === "durable"
      ) {
        files.set(entry.name, await Deno.readFile(`${dir}/${entry.name}`));
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return files;
}
