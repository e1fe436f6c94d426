/**
 * Opening a journal: option defaults and checks, the writer's lock, metadata
 * and recovery, the reader's first look at the durable end.
 *
 * @module
 */
import type { Hashers } from "./checksums.ts";
import { HeadWriter, readHead } from "./durable_head.ts";
import { CorruptJournalError, JournalNotFoundError } from "./errors.ts";
import { denoFileLayer } from "./file_layer.ts";
import {
  DEFAULT_GROUP_COMMIT_BYTES,
  DEFAULT_MAX_RECORD_BYTES,
  DEFAULT_PREALLOCATE_BYTES,
  DEFAULT_SEGMENT_BYTES,
  FORMAT_VERSION,
  HEADER_SIZE,
  MAX_LEN_FIELD,
  META_FILE,
} from "./format.ts";
import { acquireLock, type JournalLock } from "./lock.ts";
import { newJournalId, readMeta, writeMeta } from "./metadata.ts";
import type { JournalOptions, RecoveryEvent, RecoveryReport } from "./options.ts";
import { classifyJournal } from "./recovery.ts";
import { applyRecovery, planRecovery, type RecoveryPlan } from "./recovery_plan.ts";
import { layoutSegments } from "./segment_layout.ts";
import { segmentBases, segmentName } from "./segment_name.ts";
import { SegmentScanner } from "./segment_scanner.ts";
import { Writer } from "./writer.ts";

/** Options with every default filled in. */
export type Settings =
  & Required<Omit<JournalOptions, "onRecovery">>
  & Pick<JournalOptions, "onRecovery">;

/** Fill in defaults and check every option (RangeError on a bad value). */
export function settings(options: JournalOptions): Settings {
  const s: Settings = {
    readOnly: options.readOnly ?? false,
    segmentBytes: options.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
    maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    groupCommitBytes: options.groupCommitBytes ?? DEFAULT_GROUP_COMMIT_BYTES,
    durability: options.durability ?? "always",
    preallocateBytes: options.preallocateBytes ?? DEFAULT_PREALLOCATE_BYTES,
    blockingSyncMs: options.blockingSyncMs ?? 0,
    syncIntervalMs: options.syncIntervalMs ?? 100,
    recovery: options.recovery ?? "tolerate-torn-tail",
    verify: options.verify ?? "tail",
    fs: options.fs ?? denoFileLayer,
    onRecovery: options.onRecovery,
  };
  for (
    const key of ["segmentBytes", "maxRecordBytes", "groupCommitBytes", "syncIntervalMs"] as const
  ) {
    if (!Number.isSafeInteger(s[key]) || s[key] <= 0) {
      throw new RangeError(
        `Cannot open journal: option "${key}" must be a positive integer, got "${s[key]}"`,
      );
    }
  }
  if (!Number.isSafeInteger(s.preallocateBytes) || s.preallocateBytes < 0) {
    throw new RangeError(
      `Cannot open journal: option "preallocateBytes" must be a non-negative integer, got "${s.preallocateBytes}"`,
    );
  }
  if (!Number.isFinite(s.blockingSyncMs) || s.blockingSyncMs < 0) {
    throw new RangeError(
      `Cannot open journal: option "blockingSyncMs" must be a non-negative number of milliseconds, got "${s.blockingSyncMs}"`,
    );
  }
  if (s.maxRecordBytes > MAX_LEN_FIELD - HEADER_SIZE) {
    throw new RangeError(
      `Cannot open journal: option "maxRecordBytes" exceeds "${MAX_LEN_FIELD - HEADER_SIZE}"`,
    );
  }
  if (!["always", "interval", "none"].includes(s.durability)) {
    throw new RangeError(`Cannot open journal: unknown durability "${s.durability}"`);
  }
  if (!["tolerate-torn-tail", "absolute", "point-in-time", "skip-corrupt"].includes(s.recovery)) {
    throw new RangeError(`Cannot open journal: unknown recovery mode "${s.recovery}"`);
  }
  if (s.verify !== "tail" && s.verify !== "full") {
    throw new RangeError(`Cannot open journal: unknown verify "${s.verify}"`);
  }
  return s;
}

/** What the open helpers hand to the constructor. */
export interface Opened {
  /** Journal id from the metadata file. */
  id: string;
  /** Segment bases, ascending (shared with the writer). */
  bases: number[];
  /** Durable end known at open. */
  durable: number;
  /** Bases of segments readers set aside in skip-corrupt mode (see `segment_layout.ts`). */
  misplaced: Set<number>;
  /** The writer, or `null` for a reader. */
  writer: Writer | null;
  /** The held lock, or `null` for a reader. */
  lock: JournalLock | null;
  /** What recovery did, or `null` for a reader. */
  recovery: RecoveryReport | null;
}

/** Open a writer: create if needed, lock, read or write metadata, recover, start the writer. */
export async function openWriter(dir: string, s: Settings, h: Hashers): Promise<Opened> {
  const { fs } = s;
  await makeDirDurably(fs, dir);
  const lock = await acquireLock(fs, dir);
  try {
    const { id, plan, report } = await recoverLocked(dir, {
      settings: s,
      hashers: h,
      create: true,
    });
    const bases = plan.bases;
    const last = bases[bases.length - 1];
    const active = await fs.open(`${dir}/${segmentName(last)}`, { read: true, write: true });
    let headWriter: HeadWriter | null = null;
    try {
      await active.seek(plan.lastSize, Deno.SeekMode.Start);
      // What the scan accepted past the old durable end may sit only in the page cache.
      await active.syncData();
      headWriter = await HeadWriter.open(fs, h, dir);
      await headWriter.publishDurably(plan.end);
    } catch (e) {
      active.close();
      headWriter?.close();
      throw e;
    }
    const writer = new Writer({
      fs,
      h,
      dir,
      bases,
      active,
      activeSize: plan.lastSize,
      head: headWriter,
      segmentBytes: s.segmentBytes,
      maxRecordBytes: s.maxRecordBytes,
      groupCommitBytes: s.groupCommitBytes,
      durability: s.durability,
      preallocateBytes: s.durability === "none" ? 0 : s.preallocateBytes,
      blockingSyncMs: s.blockingSyncMs,
      syncIntervalMs: s.syncIntervalMs,
    });
    return {
      id,
      bases,
      durable: plan.end,
      misplaced: plan.misplaced,
      writer,
      lock,
      recovery: report,
    };
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** What `recoverLocked()` did. */
export interface Recovered {
  /** Journal id from the metadata file. */
  id: string;
  /** What recovery decided and did. */
  plan: RecoveryPlan;
  /** What recovery found and did, as `journal.recovery` shows it. */
  report: RecoveryReport;
}

/**
 * A writer's open up to the writer itself, under the lock the caller holds:
 * read (or, with `create`, write) the metadata and the first segment, then
 * classify, plan and apply recovery. Throws the CorruptJournalError a mode
 * refuses with. The caller publishes `plan.end`.
 */
export async function recoverLocked(
  dir: string,
  options: { settings: Settings; hashers: Hashers; create: boolean },
): Promise<Recovered> {
  const { settings: s, hashers: h } = options;
  const { fs } = s;
  let meta = await readMeta(fs, dir);
  let bases = segmentBases(await fs.readDir(dir));
  if (meta === null) {
    if (bases.length > 0 || !options.create) {
      throw new CorruptJournalError(`${dir}/${META_FILE}`, 0, "bad metadata");
    }
    meta = { version: FORMAT_VERSION, id: newJournalId() };
    await writeMeta(fs, dir, meta);
  }
  if (bases.length === 0) {
    const file = await fs.open(`${dir}/${segmentName(0)}`, { write: true, create: true });
    file.close();
    await fs.syncDir(dir);
    bases = [0];
  }
  const head = await readHead(fs, h, dir);
  const found = await classifyJournal({
    fs,
    h,
    dir,
    bases,
    head,
    sealed: s.verify === "full",
    skip: s.recovery === "skip-corrupt",
    maxRecordBytes: s.maxRecordBytes,
  });
  const plan = planRecovery(found, { mode: s.recovery, dir });
  if (plan instanceof CorruptJournalError) throw plan;
  const events: RecoveryEvent[] = [];
  const report = (event: RecoveryEvent) => {
    events.push(event);
    s.onRecovery?.(event);
  };
  await applyRecovery(plan, { fs, dir, report });
  return {
    id: meta.id,
    plan,
    report: {
      mode: s.recovery,
      publishedEnd: head,
      scannedFrom: found.scannedFrom,
      scannedBytes: found.scannedBytes,
      end: plan.end,
      events,
    },
  };
}

/** Open a reader: metadata, durable end, then the segment list; no lock, no writes. */
export async function openReader(dir: string, s: Settings, h: Hashers): Promise<Opened> {
  const { fs } = s;
  const meta = await readMeta(fs, dir);
  if (meta === null) throw new JournalNotFoundError(dir);
  const head = await readHead(fs, h, dir); // before the listing, as in refresh()
  const bases = segmentBases(await fs.readDir(dir));
  const durable = head ?? await scanEnd(dir, s, h, bases, 0);
  const misplaced = await setAside(dir, s, bases);
  return { id: meta.id, bases, durable, misplaced, writer: null, lock: null, recovery: null };
}

/**
 * The segments a skip-corrupt reader sets aside because their names disagree
 * with their neighbours (`layoutSegments()`); none in other modes, whose
 * readers throw at the break instead. Costs a stat per segment.
 */
export async function setAside(dir: string, s: Settings, bases: number[]): Promise<Set<number>> {
  if (s.recovery !== "skip-corrupt" || bases.length < 2) return new Set();
  const sizes: number[] = [];
  for (const base of bases) {
    try {
      sizes.push((await s.fs.stat(`${dir}/${segmentName(base)}`)).size);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      sizes.push(0); // removed by cleanup since the listing
    }
  }
  return layoutSegments(bases, sizes).misplaced;
}

/**
 * A reader's fallback when the durable end is unknown: the end of the valid
 * records of the last segment, scanning from `from` (or its base).
 */
export async function scanEnd(
  dir: string,
  s: Settings,
  h: Hashers,
  bases: number[],
  from: number,
): Promise<number> {
  if (bases.length === 0) return from;
  const base = bases[bases.length - 1];
  let file;
  try {
    file = await s.fs.open(`${dir}/${segmentName(base)}`, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return from;
    throw e;
  }
  try {
    const scanner = new SegmentScanner(file, h, {
      start: from > base ? from - base : 0,
      limit: Infinity,
      maxRecordBytes: s.maxRecordBytes,
      verify: "crc",
      chunkBytes: 1024 * 1024,
    });
    while ((await scanner.next()).kind === "record");
    return base + scanner.position;
  } finally {
    file.close();
  }
}

async function exists(fs: Settings["fs"], path: string): Promise<boolean> {
  try {
    await fs.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Create `dir` and any missing parents one level at a time, fsyncing each new
 * directory's parent: every new entry on the way must survive a power loss,
 * or the journal below it goes with it.
 */
async function makeDirDurably(fs: Settings["fs"], dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; !(await exists(fs, d)); d = parentOf(d)) {
    missing.unshift(d);
    if (parentOf(d) === d) break;
  }
  for (const d of missing) {
    await fs.mkdir(d);
    await fs.syncDir(parentOf(d));
  }
}

function parentOf(dir: string): string {
  const trimmed = dir.replace(/\/+$/, "");
  const slash = trimmed.lastIndexOf("/");
  if (slash < 0) return ".";
  return slash === 0 ? "/" : trimmed.slice(0, slash);
}
