// The damage catalogue's machinery (not a test file): a small journal built
// once, restored before each case, damaged, opened under a recovery mode, and
// checked against the mode table of docs/FORMAT.md 1.7 and for a sound log.
import assert from "node:assert/strict";
import {
  type CorruptionReason,
  CorruptJournalError,
  HEAD_FILE,
  Journal,
  type JournalOptions,
  META_FILE,
  type RecoveryEvent,
  type RecoveryMode,
  segmentName,
  verifyJournal,
} from "../../src/wal/mod.ts";
import { payload } from "./_util.ts";

/** Every recovery mode, in the order of the mode table. */
export const MODES: readonly RecoveryMode[] = [
  "tolerate-torn-tail",
  "absolute",
  "point-in-time",
  "skip-corrupt",
];

/** Whether the exhaustive sweep runs (`STEMEDB_EXHAUSTIVE=1`). */
export const EXHAUSTIVE = Deno.env.get("STEMEDB_EXHAUSTIVE") === "1";

/** One record of the built journal. */
export interface Rec {
  offset: number;
  next: number;
  payload: Uint8Array;
}

/** One segment of the built journal. */
export interface Seg {
  base: number;
  end: number;
  name: string;
  /** Indexes into `records`. */
  records: number[];
}

/** The journal every case starts from: three sealed segments and an active one, closed cleanly. */
export interface Built {
  dir: string;
  options: JournalOptions;
  records: Rec[];
  segments: Seg[];
  files: Map<string, Uint8Array>;
  end: number;
}

/** Payload bytes of every record: 40, so a record takes 80 bytes and 5 fill a segment. */
const PAYLOAD_BYTES = 40;

/** Build the journal in `dir`. */
export async function build(dir: string): Promise<Built> {
  const options: JournalOptions = { segmentBytes: 400 };
  const journal = await Journal.open(dir, options);
  const payloads = Array.from({ length: 18 }, (_, i) => payload(i + 1, PAYLOAD_BYTES));
  const results = [];
  for (const p of payloads) results.push(await journal.append(p));
  const infos = await journal.segments();
  await journal.close();
  const records = results.map((r, i) => ({ offset: r.offset, next: r.next, payload: payloads[i] }));
  const segments = infos.map((s) => ({
    base: s.base,
    end: s.end,
    name: segmentName(s.base),
    records: records.flatMap((r, i) => (r.offset >= s.base && r.offset < s.end ? [i] : [])),
  }));
  assert.equal(segments.length, 4, "three sealed segments and the active one");
  assert.equal(segments[3].records.length, 3);
  const files = await snapshot(dir);
  return { dir, options, records, segments, files, end: records[records.length - 1].next };
}

/** Every file of `dir` but the lock, by name. */
export async function snapshot(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name !== "LOCK") out.set(e.name, await Deno.readFile(`${dir}/${e.name}`));
  }
  return out;
}

/** Put `dir` back as `files` holds it. */
export async function restore(dir: string, files: Map<string, Uint8Array>): Promise<void> {
  for await (const e of Deno.readDir(dir)) {
    if (e.name !== "LOCK" && !files.has(e.name)) await Deno.remove(`${dir}/${e.name}`);
  }
  for (const [name, bytes] of files) await Deno.writeFile(`${dir}/${name}`, bytes);
}

/** What the mode table says one mode does with one case. */
export type Outcome =
  | { refuse: { file: string; offset: number; reason?: CorruptionReason } }
  | {
    /** End of the journal after recovery. */
    end: number;
    /** Offsets of the records a reader in this mode reads back, in order. */
    readable: number[];
    /** Recovery events, as [kind, offset]. */
    events: [RecoveryEvent["kind"], number][];
    /** A reader in this mode meets this damage (sealed damage open does not look at). */
    readerThrows?: { file: string; offset: number };
  };

/** A damage and what each mode does with it. */
export interface Case {
  name: string;
  damage: (b: Built) => Promise<void>;
  verify?: "tail" | "full";
  expect: (mode: RecoveryMode) => Outcome;
}

/** Path of a file of the built journal. */
export function pathOf(b: Built, name: string): string {
  return `${b.dir}/${name}`;
}

/** Run `c` under every mode, each on a freshly restored journal. */
export async function runCase(b: Built, c: Case): Promise<void> {
  for (const mode of MODES) {
    await restore(b.dir, b.files);
    await c.damage(b);
    const damaged = await snapshot(b.dir);
    const expected = c.expect(mode);
    const label = `${c.name} under "${mode}"`;
    const options: JournalOptions = { ...b.options, recovery: mode, verify: c.verify ?? "tail" };
    if ("refuse" in expected) {
      await assert.rejects(Journal.open(b.dir, options), (e: unknown) => {
        assert.ok(e instanceof CorruptJournalError, `${label}: ${e}`);
        assert.equal(e.file, expected.refuse.file, `${label}: file`);
        assert.equal(e.offset, expected.refuse.offset, `${label}: offset`);
        if (expected.refuse.reason) assert.equal(e.reason, expected.refuse.reason, label);
        return true;
      });
      assert.deepEqual(await snapshot(b.dir), damaged, `${label}: nothing modified`);
      continue;
    }
    const journal = await Journal.open(b.dir, options);
    try {
      assert.deepEqual(
        journal.recovery!.events.map((e) => [e.kind, e.offset]),
        expected.events,
        `${label}: events`,
      );
      assert.equal(journal.durableOffset, expected.end, `${label}: end`);
      await assertSound(b, journal, mode, expected, label);
    } finally {
      await journal.close();
    }
    if (!expected.readerThrows) await assertReopensClean(b, options, label);
  }
}

/**
 * The log after recovery: reads from its first offset to its end without an
 * error (a skip-corrupt reader skips), every record at its own offset, and the
 * next append lands at the end, on a record boundary.
 */
async function assertSound(
  b: Built,
  journal: Journal,
  mode: RecoveryMode,
  expected: Extract<Outcome, { end: number }>,
  label: string,
): Promise<void> {
  const byOffset = new Map(b.records.map((r) => [r.offset, r]));
  const read = async () => {
    const out = [];
    for await (const r of journal.readFrom(journal.firstOffset)) out.push(r);
    return out;
  };
  if (expected.readerThrows) {
    const { file, offset } = expected.readerThrows;
    const first = await read().then(() => null, (e: unknown) => e);
    assert.ok(first instanceof CorruptJournalError, `${label}: reader throws, got ${first}`);
    assert.deepEqual([first.file, first.offset], [file, offset], `${label}: reader's error`);
    // sticky: the same error until reopened, wherever the next read starts
    await assert.rejects(read(), (e) => e === first);
    await assert.rejects(journal.read(b.records[0].offset), (e) => e === first);
    return;
  }
  const records = await read();
  assert.deepEqual(records.map((r) => r.offset), expected.readable, `${label}: readable`);
  for (const r of records) {
    const original = byOffset.get(r.offset)!;
    assert.deepEqual(r.payload, original.payload, `${label}: record at ${r.offset}`);
    assert.equal(r.next, original.next);
  }
  if (mode !== "skip-corrupt") {
    let at = journal.firstOffset;
    for (const r of records) {
      assert.equal(r.offset, at, `${label}: no hole before ${r.offset}`);
      at = r.next;
    }
    assert.equal(
      at,
      Math.max(journal.durableOffset, journal.firstOffset),
      `${label}: reads to the end`,
    );
  }
  const extra = payload(999, 30);
  const appended = await journal.append(extra);
  assert.equal(appended.offset, expected.end, `${label}: the next append lands at the end`);
  assert.deepEqual((await journal.read(appended.offset)).payload, extra);
  const after = await read();
  assert.deepEqual(after.map((r) => r.offset), [...expected.readable, appended.offset], label);
}

/** Reopened with a full verification, the journal needs no more truncating or dropping. */
async function assertReopensClean(b: Built, options: JournalOptions, label: string) {
  const again = await Journal.open(b.dir, { ...options, verify: "full" });
  const events = again.recovery!.events;
  await again.close();
  const changes = events.filter((e) => e.kind === "truncated" || e.kind === "dropped");
  assert.deepEqual(changes, [], `${label}: reopened clean`);
  if (options.recovery !== "skip-corrupt") {
    const report = await verifyJournal(b.dir);
    assert.deepEqual(report.problems, [], `${label}: verifyJournal after recovery`);
  }
}

/** Offsets of the records that end at or before `end`. */
export function upTo(b: Built, end: number): number[] {
  return b.records.filter((r) => r.next <= end).map((r) => r.offset);
}

/** Offsets of every record but those in `[from, to)`. */
export function except(b: Built, from: number, to: number): number[] {
  return b.records.filter((r) => r.offset < from || r.offset >= to).map((r) => r.offset);
}

/** The record boundary at or below `pos` (a global offset). */
export function boundaryAtOrBelow(b: Built, pos: number): number {
  let at = b.records[0].offset;
  for (const r of b.records) if (r.next <= pos) at = r.next;
  return at;
}

/** Flip (xor 0xff) the byte at global offset `offset`. */
export async function flipAt(b: Built, offset: number): Promise<void> {
  const seg = b.segments.findLast((s) => s.base <= offset)!;
  const path = pathOf(b, seg.name);
  const bytes = await Deno.readFile(path);
  bytes[offset - seg.base] ^= 0xff;
  await Deno.writeFile(path, bytes);
}

export { HEAD_FILE, META_FILE };
