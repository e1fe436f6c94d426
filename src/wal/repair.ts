/**
 * `repairJournal()`: the operator's path when a sealed segment is damaged,
 * which `Journal.open()` leaves to readers (they throw CorruptJournalError).
 * It verifies every segment under the journal's lock and rewrites only bytes
 * that do not verify.
 *
 * @module
 */
import { type Hashers, loadHashers } from "./checksums.ts";
import { HeadWriter } from "./durable_head.ts";
import { type CorruptionReason, JournalError } from "./errors.ts";
import { type FileLayer, writeAll } from "./file_layer.ts";
import { HEADER_SIZE, META_FILE, MIN_RECORD_BYTES } from "./format.ts";
import { recoverLocked, settings } from "./journal_open.ts";
import { acquireLock } from "./lock.ts";
import { readMeta } from "./metadata.ts";
import type { RecoveryEvent } from "./options.ts";
import { encodeRecord } from "./record_codec.ts";
import { parseSegmentName, segmentName } from "./segment_name.ts";

/**
 * Options of `repairJournal()`.
 *
 * @example Repair by cutting at the first bad record
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal, repairJournal, type RepairOptions } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * await journal.append(new Uint8Array([1]));
 * await journal.close();
 * const options: RepairOptions = { recovery: "point-in-time" };
 * assert.deepEqual((await repairJournal(dir, options)).actions, []);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface RepairOptions {
  /**
   * `"point-in-time"`: cut at the first bad record of any segment and delete
   * every later segment. `"skip-corrupt"`: overwrite each bad range, and fill
   * each missing segment, with filler records, so every record that verifies
   * keeps its offset (bad bytes at the very end of the log are cut off instead).
   */
  recovery: "point-in-time" | "skip-corrupt";
  /**
   * Largest payload: longer lengths are damage; fillers are at most this long.
   * @default {16777216}
   */
  maxRecordBytes?: number;
  /**
   * File layer to work through.
   * @default {denoFileLayer}
   */
  fs?: FileLayer;
}

/**
 * One thing `repairJournal()` did.
 *
 * @example Read what a repair did
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal, repairJournal, type RepairAction } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * await journal.close();
 * const actions: RepairAction[] = (await repairJournal(dir, { recovery: "skip-corrupt" })).actions;
 * assert.deepEqual(actions, []);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface RepairAction {
  /**
   * `"dropped"`: cut off or deleted (point-in-time); `"truncated"`: a torn
   * tail cut off; `"filled"`: bad bytes or a missing segment replaced by
   * filler records; `"set aside"`: a misplaced segment renamed to
   * `<name>.misplaced`, which readers ignore; `"missing"`: acknowledged bytes
   * past the end of the last segment, gone.
   */
  action: "dropped" | "truncated" | "filled" | "set aside" | "missing";
  /** Segment file involved. */
  file: string;
  /** Global offset where it starts. */
  offset: number;
  /** What was wrong there. */
  reason: CorruptionReason;
  /** Bytes affected. */
  bytes: number;
}

/**
 * What `repairJournal()` did.
 *
 * @example Check where the journal ends after a repair
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal, repairJournal, type RepairReport } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * const { next } = await journal.append(new Uint8Array([1]));
 * await journal.close();
 * const report: RepairReport = await repairJournal(dir, { recovery: "skip-corrupt" });
 * assert.equal(report.end, next);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface RepairReport {
  /** The repair mode used. */
  recovery: RepairOptions["recovery"];
  /** Everything done, in offset order of discovery. */
  actions: RepairAction[];
  /** End of the journal afterwards. */
  end: number;
}

/**
 * Repair the journal in `dir` after damage to a sealed segment (or any damage
 * `Journal.open()` refuses): verify every record of every segment, then act
 * per `recovery` (docs/FORMAT.md 1.7). Takes the writer's lock, so no writer
 * may be open; rewrites no byte that verifies; afterwards every reader, in
 * every recovery mode, reads the journal from its first offset to its end
 * without an error.
 *
 * With `"skip-corrupt"`, each filler record's payload is the UTF-8 JSON
 * `{"repair":"skip-corrupt","offset":…,"bytes":…,"reason":"…"}` padded with
 * spaces (where that does not fit `{"repair":"skip-corrupt"}`, else spaces
 * alone): consumers see one record where
 * the damage was (stemedb's ingestor dead-letters it as an unknown type).
 * A misplaced active segment cannot be skipped: repair it with `"point-in-time"`.
 *
 * @example Fill a damaged record of a sealed segment
 * ```ts
 * import assert from "node:assert/strict";
 * import { CorruptJournalError, Journal, repairJournal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir, { segmentBytes: 100 });
 * const [a, b, c] = await journal.appendBatch([new Uint8Array(50), new Uint8Array(50), new Uint8Array(50)]);
 * await journal.close();
 * const path = `${dir}/00000000000000000090.wal`; // the sealed segment holding b
 * const bytes = await Deno.readFile(path);
 * bytes[45] ^= 0xff;
 * await Deno.writeFile(path, bytes);
 *
 * const report = await repairJournal(dir, { recovery: "skip-corrupt" });
 * assert.deepEqual(report.actions.map((x) => [x.action, x.offset, x.reason]), [["filled", b.offset, "crc mismatch"]]);
 * const reopened = await Journal.open(dir);
 * const offsets = [];
 * for await (const r of reopened.readFrom(0)) offsets.push(r.offset);
 * assert.deepEqual(offsets, [a.offset, b.offset, c.offset]); // b's place holds a filler now
 * await reopened.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function repairJournal(dir: string, options: RepairOptions): Promise<RepairReport> {
  const { recovery } = options;
  if (recovery !== "point-in-time" && recovery !== "skip-corrupt") {
    throw new RangeError(`Cannot repair journal "${dir}": unknown recovery mode "${recovery}"`);
  }
  const s = settings({
    recovery,
    verify: "full",
    maxRecordBytes: options.maxRecordBytes,
    fs: options.fs,
  });
  const { fs } = s;
  const h = await loadHashers();
  if ((await readMeta(fs, dir)) === null) {
    throw new JournalError(`Cannot repair journal "${dir}": no "${META_FILE}" found`);
  }
  const lock = await acquireLock(fs, dir);
  try {
    // Recovery as a writer's open does it, with every segment verified: for
    // point-in-time that is the whole repair. No writer runs while fillers are written.
    const { plan, report } = await recoverLocked(dir, { settings: s, hashers: h, create: false });
    const last = `${dir}/${segmentName(plan.bases[plan.bases.length - 1])}`;
    let end = plan.end;
    const actions: RepairAction[] = [];
    for (const e of report.events) {
      const done = { file: e.file, offset: e.offset, reason: e.reason, bytes: e.bytes };
      if (recovery === "point-in-time" || e.kind === "truncated") {
        // point-in-time reports only cuts, deletions and a torn tail
        actions.push({ ...done, action: e.kind === "truncated" ? "truncated" : "dropped" });
      } else if (e.kind === "skipped" && e.file === last && e.offset + e.bytes === end) {
        // bad bytes at the very end of the log: nothing after them keeps an offset
        await cut(fs, e.file, e.offset - plan.bases[plan.bases.length - 1]);
        end = e.offset;
        actions.push({ ...done, action: "truncated" });
      } else {
        actions.push(await skipRepair(e, { fs, h, dir, maxRecordBytes: s.maxRecordBytes }));
      }
    }
    // as open does: what the scan accepted may sit only in the page cache
    await cut(fs, last, end - plan.bases[plan.bases.length - 1]);
    const head = await HeadWriter.open(fs, h, dir);
    try {
      await head.publishDurably(end);
    } finally {
      head.close();
    }
    return { recovery, actions, end };
  } finally {
    lock.release();
  }
}

/** Truncate `path` to `size` (a no-op size change when it is already that long) and fdatasync it. */
async function cut(fs: FileLayer, path: string, size: number): Promise<void> {
  const file = await fs.open(path, { read: true, write: true });
  try {
    await file.truncate(size);
    await file.syncData();
  } finally {
    file.close();
  }
}

/** What filling needs. */
interface FillContext {
  fs: FileLayer;
  h: Hashers;
  dir: string;
  maxRecordBytes: number;
}

/** Repair what a skip-corrupt recovery reported as `e`. */
async function skipRepair(e: RecoveryEvent, ctx: FillContext): Promise<RepairAction> {
  const { fs, dir } = ctx;
  const done = { file: e.file, offset: e.offset, reason: e.reason, bytes: e.bytes };
  if (e.reason === "misplaced segment") {
    await fs.rename(e.file, `${e.file}.misplaced`);
    await fs.syncDir(dir);
    return { ...done, action: "set aside" };
  }
  if (e.kind === "missing" && e.reason === "missing bytes") return { ...done, action: "missing" };
  const fill = fillers(e, ctx);
  if (e.kind === "missing") {
    // a missing segment: a new one of fillers takes its place
    const path = `${dir}/${segmentName(e.offset)}`;
    const file = await fs.open(path, { write: true, createNew: true });
    try {
      await writeAll(file, fill);
      await file.syncData();
    } finally {
      file.close();
    }
    await fs.syncDir(dir);
    return { ...done, file: path, action: "filled" };
  }
  const base = parseSegmentName(e.file.slice(e.file.lastIndexOf("/") + 1))!;
  const file = await fs.open(e.file, { read: true, write: true });
  try {
    await file.seek(e.offset - base, Deno.SeekMode.Start);
    await writeAll(file, fill);
    await file.syncData();
  } finally {
    file.close();
  }
  return { ...done, action: "filled" };
}

/** Filler records covering exactly `e.bytes` bytes. */
function fillers(e: RecoveryEvent, ctx: FillContext): Uint8Array {
  const { h, dir, maxRecordBytes } = ctx;
  if (e.bytes < MIN_RECORD_BYTES) {
    throw new JournalError(
      `Cannot repair journal "${dir}" skipping ${e.bytes} bytes at offset ${e.offset}: ` +
        `a filler record needs at least ${MIN_RECORD_BYTES}; repair with "point-in-time"`,
    );
  }
  const out = new Uint8Array(e.bytes);
  const encode = (note: object) => new TextEncoder().encode(JSON.stringify(note));
  const notes = [
    encode({ repair: "skip-corrupt", offset: e.offset, bytes: e.bytes, reason: e.reason }),
    encode({ repair: "skip-corrupt" }),
  ];
  const largest = HEADER_SIZE + maxRecordBytes;
  let at = 0;
  while (at < out.length) {
    let n = Math.min(out.length - at, largest);
    // never leave a remainder too small for a record of its own
    if (out.length - at - n > 0 && out.length - at - n < MIN_RECORD_BYTES) n -= MIN_RECORD_BYTES;
    const payload = new Uint8Array(n - HEADER_SIZE).fill(0x20);
    const note = notes.find((note) => note.length <= payload.length);
    if (note) payload.set(note);
    at = encodeRecord(h, payload, out, at);
  }
  return out;
}
