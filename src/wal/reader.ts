/**
 * Reading records: `read(offset)` for one record, `readBatches()` behind
 * `Journal.readBatches()` and `readRecords()` behind `readFrom()`, streaming
 * segment files in large chunks up to the durable end.
 *
 * @module
 */
import { type CorruptionReason, CorruptJournalError, OffsetError } from "./errors.ts";
import type { Hashers } from "./checksums.ts";
import type { FileHandle, FileLayer } from "./file_layer.ts";
import { HEADER_SIZE } from "./format.ts";
import type { JournalRecord, ReadFromOptions, RecoveryEvent } from "./options.ts";
import { findSegment, segmentName } from "./segment_name.ts";
import { type ScanStep, SegmentScanner } from "./segment_scanner.ts";

/** What the read functions need from a journal. */
export interface ReadContext {
  /** Journal directory. */
  readonly dir: string;
  /** File layer. */
  readonly fs: FileLayer;
  /** Checksums. */
  readonly h: Hashers;
  /** Largest payload. */
  readonly maxRecordBytes: number;
  /** Whether bad records are skipped (recovery mode "skip-corrupt"). */
  readonly skipCorrupt: boolean;
  /** Whether `refresh()` can learn more (a read-only journal). */
  readonly canRefresh: boolean;
  /** Segment bases known now, ascending. */
  bases(): readonly number[];
  /** Durable end known now. */
  limit(): number;
  /** Re-read the published durable end and the segment list. */
  refresh(): Promise<number>;
  /** Throw if the journal is closed. */
  assertOpen(): void;
  /** Report a skipped bad record. */
  report(event: RecoveryEvent): void;
}

const READ_CHUNK = 1024 * 1024;
const SINGLE_CHUNK = 16 * 1024;

/** Where an offset lies: segment index and the bound of readable bytes in it. */
interface Located {
  base: number;
  /** Base of the following segment, `Infinity` while this one is the last known. */
  next: number;
  path: string;
  /** File position readable bytes end at. */
  bound: number;
}

async function locate(ctx: ReadContext, offset: number, refreshed: boolean): Promise<Located> {
  const limit = ctx.limit();
  if (offset >= limit) {
    if (!refreshed && ctx.canRefresh) {
      await ctx.refresh();
      return locate(ctx, offset, true);
    }
    throw new OffsetError(offset, `it is at or past the durable end ${limit}`);
  }
  const bases = ctx.bases();
  const i = findSegment(bases, offset);
  if (i < 0) {
    if (!refreshed && ctx.canRefresh) {
      await ctx.refresh();
      return locate(ctx, offset, true);
    }
    const first = bases.length > 0 ? bases[0] : limit;
    throw new OffsetError(offset, `it lies before the first segment at ${first}`);
  }
  const next = i + 1 < bases.length ? bases[i + 1] : Infinity;
  const base = bases[i];
  return {
    base,
    next,
    path: `${ctx.dir}/${segmentName(base)}`,
    bound: Math.min(next, limit) - base,
  };
}

async function openSegment(ctx: ReadContext, offset: number): Promise<[Located, FileHandle]> {
  let where = await locate(ctx, offset, false);
  try {
    return [where, await ctx.fs.open(where.path, { read: true })];
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (ctx.canRefresh) {
    await ctx.refresh();
    where = await locate(ctx, offset, true);
    try {
      return [where, await ctx.fs.open(where.path, { read: true })];
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  throw new OffsetError(offset, `its segment "${where.path}" was removed`);
}

function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`Cannot read offset "${offset}": not a non-negative integer`);
  }
}

/** Read and verify (length, CRC) the record starting at `offset`. */
export async function readRecord(ctx: ReadContext, offset: number): Promise<JournalRecord> {
  checkOffset(offset);
  const [where, file] = await openSegment(ctx, offset);
  try {
    const scanner = new SegmentScanner(file, ctx.h, {
      start: offset - where.base,
      limit: where.bound,
      maxRecordBytes: ctx.maxRecordBytes,
      verify: "crc",
      chunkBytes: SINGLE_CHUNK,
    });
    const step = await scanner.next();
    if (step.kind === "record") {
      return {
        offset,
        next: offset + HEADER_SIZE + step.len,
        payload: step.payload.slice(),
        digest: step.digest.slice(),
      };
    }
    const reason: CorruptionReason = step.kind === "bad" ? step.reason : "missing bytes";
    if (!(await isRecordStart(ctx, file, offset - where.base, where.bound))) {
      throw new OffsetError(offset, `it is not the start of a record in "${where.path}"`);
    }
    throw new CorruptJournalError(where.path, offset, reason);
  } finally {
    file.close();
  }
}

/**
 * Whether `pos` is reached by walking the record lengths of a segment from its
 * start (the slow path, taken only when a read fails verification). A chain
 * broken before `pos` means damage earlier: treat `pos` as a record start.
 */
async function isRecordStart(ctx: ReadContext, file: FileHandle, pos: number, bound: number) {
  const walker = new SegmentScanner(file, ctx.h, {
    start: 0,
    limit: bound,
    maxRecordBytes: ctx.maxRecordBytes,
    verify: "length",
    chunkBytes: READ_CHUNK,
  });
  while (walker.position < pos) {
    const step = await walker.next();
    if (step.kind !== "record") return true;
  }
  return walker.position === pos;
}

/** Records from `offset` up to the durable end, each a copy (see `Journal.readFrom`). */
export async function* readRecords(
  ctx: ReadContext,
  offset: number,
  options: ReadFromOptions = {},
): AsyncIterableIterator<JournalRecord> {
  // The scan reuses its buffer: each record is copied before the next batch is read.
  for await (const batch of readBatches(ctx, offset, { ...options, keep: false })) {
    for (const r of batch) {
      options.signal?.throwIfAborted();
      ctx.assertOpen();
      yield {
        offset: r.offset,
        next: r.next,
        payload: r.payload.slice(),
        digest: r.digest.slice(),
      };
    }
  }
}

/** Options of {@linkcode readBatches}. */
export interface ReadBatchesOptions extends ReadFromOptions {
  /**
   * Whether the records' views stay valid for good (a refill reads into a new
   * buffer); else only until the next batch is asked for.
   */
  keep: boolean;
}

/**
 * Records from `offset` up to the durable end, in batches: the records the
 * read buffer holds, verified in one synchronous pass, their payloads and
 * digests views into it (see `Journal.readBatches`). A batch ends before a
 * record that needs a read, a bad record or the end of a segment; what those
 * lead to (a read, a skip, an error, the next segment) happens when the next
 * batch is asked for, so a consumer meets it after the records before it.
 */
export async function* readBatches(
  ctx: ReadContext,
  offset: number,
  options: ReadBatchesOptions,
): AsyncIterableIterator<JournalRecord[]> {
  checkOffset(offset);
  const { end = Infinity, signal, keep } = options;
  let pos = offset;
  let refreshedAtEnd = false;
  let file: FileHandle | null = null;
  let scanner: SegmentScanner | null = null;
  let where: Located | null = null;
  try {
    while (true) {
      signal?.throwIfAborted();
      ctx.assertOpen();
      if (pos >= end) return;
      if (pos >= ctx.limit()) {
        if (refreshedAtEnd || !ctx.canRefresh) return;
        refreshedAtEnd = true;
        await ctx.refresh();
        if (pos >= ctx.limit()) return;
      }
      if (scanner === null || where === null) {
        [where, file] = await openSegment(ctx, pos);
        scanner = new SegmentScanner(file, ctx.h, {
          start: pos - where.base,
          limit: where.bound,
          maxRecordBytes: ctx.maxRecordBytes,
          verify: "crc",
          chunkBytes: READ_CHUNK,
          keep,
        });
      }
      // The segment's end: known once a later segment exists. A segment removed
      // under us (cleanup) keeps the end it had; its open handle still reads.
      const bases = ctx.bases();
      const i = findSegment(bases, where.base);
      if (i >= 0 && bases[i] === where.base && i + 1 < bases.length) where.next = bases[i + 1];
      const next = where.next;
      scanner.setLimit(Math.min(next, ctx.limit()) - where.base);
      const step = scanner.nextBuffered() ?? await scanner.next();
      if (step.kind === "record") {
        const batch = buffered(where.base, step, { scanner, end });
        pos = batch[batch.length - 1].next;
        // What ended the batch (a read, a bad record, the segment's end) is met on the next turn.
        yield batch;
        continue;
      }
      if (step.kind === "bad") {
        const at = where.base + step.pos;
        if (!ctx.skipCorrupt) throw new CorruptJournalError(where.path, at, step.reason);
        const to = await scanner.resync();
        ctx.report({
          kind: "skipped",
          file: where.path,
          offset: at,
          reason: step.reason,
          bytes: to - step.pos,
        });
        pos = where.base + to;
        continue;
      }
      // End of what this segment holds: move on if the next segment begins here.
      pos = where.base + step.pos;
      if (pos >= next) {
        file!.close();
        file = null;
        scanner = null;
        where = null;
      }
    }
  } finally {
    file?.close();
  }
}

/**
 * `first` and the records after it that the scanner's buffer holds, up to
 * `end`: no await (and no promise) for each.
 */
function buffered(
  base: number,
  first: ScanStep & { kind: "record" },
  { scanner, end }: { scanner: SegmentScanner; end: number },
): JournalRecord[] {
  const batch: JournalRecord[] = [];
  for (let step: ScanStep | null = first; step?.kind === "record"; step = scanner.nextBuffered()) {
    const offset = base + step.pos;
    const next = offset + HEADER_SIZE + step.len;
    batch.push({ offset, next, payload: step.payload, digest: step.digest });
    if (next >= end) break;
  }
  return batch;
}
