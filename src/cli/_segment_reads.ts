/**
 * How far a full scan of the journal (verify, repair) has read: the bytes of
 * its segment files, and a file layer that counts the bytes read from them.
 * `verifyJournal` and `repairJournal` take no progress callback, but they read
 * through the file layer they are given.
 *
 * @module
 */

import { basename } from "node:path";
import { denoFileLayer, type FileHandle, type FileLayer, parseSegmentName } from "../wal/mod.ts";
import { progressWanted, startPhase } from "./_progress.ts";

/** Whether a file is a segment, by the log's own naming rule. */
function isSegment(name: string): boolean {
  return parseSegmentName(name) !== null;
}

/** Bytes of the segment files in `dir`: what a full verify reads. */
export async function segmentBytes(dir: string): Promise<number | undefined> {
  let total = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && isSegment(entry.name)) {
        total += (await Deno.stat(`${dir}/${entry.name}`)).size;
      }
    }
  } catch {
    return undefined; // verifyJournal and repairJournal report a missing journal themselves
  }
  return total;
}

/**
 * The real file layer, counting bytes read from segment files: verifyJournal
 * has no progress callback, but it reads through the file layer it is given.
 */
export function countingReads(onRead: (bytes: number) => void): FileLayer {
  let read = 0;
  return {
    ...denoFileLayer,
    async open(path, options) {
      const inner = await denoFileLayer.open(path, options);
      if (!isSegment(basename(path))) return inner;
      const handle: FileHandle = {
        write: (p) => inner.write(p),
        writeSync: (p) => inner.writeSync(p),
        async read(p) {
          const n = await inner.read(p);
          if (n !== null) onRead(read += n);
          return n;
        },
        seek: (o, w) => inner.seek(o, w),
        seekSync: (o, w) => inner.seekSync(o, w),
        syncData: () => inner.syncData(),
        truncate: (len) => inner.truncate(len),
        stat: () => inner.stat(),
        tryLock: (exclusive) => inner.tryLock(exclusive),
        close: () => inner.close(),
      };
      return handle;
    },
  };
}

/** Options of {@linkcode withScanProgress}. */
export interface ScanProgressOptions {
  /** Name of the phase: `verify`. */
  label: string;
  /** The journal directory scanned. */
  dir: string;
  /** Whether the output is `--json` (which draws no progress). */
  json: boolean;
}

/**
 * Run `scan`, a full scan of the journal in `options.dir`, with a progress bar
 * of the segment bytes it reads when progress is wanted: `scan` is given the
 * counting file layer to read through, or `undefined` (the default layer).
 */
export async function withScanProgress<T>(
  options: ScanProgressOptions,
  scan: (fs: FileLayer | undefined) => Promise<T>,
): Promise<T> {
  if (!progressWanted(options.json)) return await scan(undefined);
  const phase = startPhase({
    label: options.label,
    unit: "bytes",
    total: await segmentBytes(options.dir),
    enabled: true,
  });
  try {
    return await scan(countingReads((n) => phase.update(n)));
  } finally {
    phase.finish();
  }
}
