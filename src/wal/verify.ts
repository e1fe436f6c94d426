/**
 * `verifyJournal()`: a full integrity scan that takes no lock and writes
 * nothing; every record's length, CRC-32C and BLAKE3 digest is checked.
 *
 * @module
 */
import { loadHashers } from "./checksums.ts";
import { readHead } from "./durable_head.ts";
import { CorruptJournalError, JournalError } from "./errors.ts";
import { denoFileLayer, type FileLayer } from "./file_layer.ts";
import { DEFAULT_MAX_RECORD_BYTES, HEAD_FILE, META_FILE } from "./format.ts";
import { readMeta } from "./metadata.ts";
import type { VerifyProblem, VerifyReport } from "./options.ts";
import { segmentBases, segmentName } from "./segment_name.ts";
import { checkSegment } from "./segment_check.ts";
import { layoutSegments } from "./segment_layout.ts";

/**
 * Options of `verifyJournal()`.
 *
 * @example Verify with a smaller record cap
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal, verifyJournal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * await journal.append(new Uint8Array(100));
 * await journal.close();
 * const report = await verifyJournal(dir, { maxRecordBytes: 50 });
 * assert.equal(report.problems[0].reason, "length exceeds maximum");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface VerifyOptions {
  /**
   * Largest acceptable payload; longer lengths are reported.
   * @default {16777216}
   */
  maxRecordBytes?: number;
  /**
   * File layer to read through.
   * @default {denoFileLayer}
   */
  fs?: FileLayer;
}

/**
 * Scan every record of every segment of the journal in `dir` and report
 * records, bytes, segments, the published durable end and each problem with
 * its segment file and offset. Safe to run while a writer is appending (bytes
 * past the durable end may show up as a torn tail).
 *
 * @example Verify a journal
 * ```ts
 * import assert from "node:assert/strict";
 * import { Journal, verifyJournal } from "@stemedb/ingest/wal";
 *
 * const dir = await Deno.makeTempDir();
 * const journal = await Journal.open(dir);
 * await journal.appendBatch([new Uint8Array([1]), new Uint8Array([2])]);
 * await journal.close();
 * const report = await verifyJournal(dir);
 * assert.deepEqual(report.records, 2);
 * assert.deepEqual(report.problems, []);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function verifyJournal(
  dir: string,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const fs = options.fs ?? denoFileLayer;
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const h = await loadHashers();
  const problems: VerifyProblem[] = [];
  try {
    if ((await readMeta(fs, dir)) === null) {
      throw new JournalError(`Cannot verify journal "${dir}": no "${META_FILE}" found`);
    }
  } catch (e) {
    if (!(e instanceof CorruptJournalError)) throw e;
    problems.push({ file: e.file, offset: 0, reason: "bad metadata" });
  }
  const bases = segmentBases(await fs.readDir(dir));
  const durableOffset = await readHead(fs, h, dir);
  const paths = bases.map((base) => `${dir}/${segmentName(base)}`);
  const checks = [];
  for (let i = 0; i < bases.length; i++) {
    checks.push(
      await checkSegment(paths[i], {
        fs,
        h,
        maxRecordBytes,
        durable: null,
        resyncBelow: Infinity,
        zeroTail: i === bases.length - 1,
        digestFrom: 0,
      }),
    );
  }
  // The same placement rules as recovery: a missing or a misplaced segment.
  const layout = layoutSegments(bases, checks.map((c) => c.size));
  let records = 0;
  let bytes = 0;
  let end = bases.length > 0 ? bases[0] : 0;
  for (let i = 0; i < bases.length; i++) {
    for (const b of layout.breaks.filter((b) => b.index === i)) {
      problems.push(
        b.misplaced
          ? { file: paths[i], offset: bases[i], reason: "misplaced segment" }
          : { file: paths[b.before], offset: b.offset, reason: "missing segment" },
      );
    }
    const c = checks[i];
    records += c.records;
    for (const s of c.skipped) {
      problems.push({ file: paths[i], offset: bases[i] + s.pos, reason: s.reason });
    }
    // a running (or killed) writer's preallocated space is not damage
    const dataEnd = c.stop?.zeros ? c.stop.pos : c.size;
    bytes += dataEnd;
    end = bases[i] + dataEnd;
  }
  // A missing or garbled durable end is no problem: open scans for the end
  // instead. One past the data is: acknowledged bytes are gone.
  if (durableOffset !== null && durableOffset > end) {
    const file = bases.length > 0 ? paths[bases.length - 1] : `${dir}/${HEAD_FILE}`;
    problems.push({ file, offset: end, reason: "missing bytes" });
  }
  return { segments: bases.length, records, bytes, durableOffset, problems };
}
