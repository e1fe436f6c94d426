/**
 * How far a full verify has read: the bytes of a journal's segment files, and
 * a file layer that counts the bytes read from them. `verifyJournal` takes no
 * progress callback, but it reads through the file layer it is given.
 *
 * @module
 */

import { denoFileLayer, type FileHandle, type FileLayer } from "../wal/mod.ts";

/** Bytes of the segment files in `dir`: what a full verify reads. */
export async function segmentBytes(dir: string): Promise<number | undefined> {
  let total = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".wal")) {
        total += (await Deno.stat(`${dir}/${entry.name}`)).size;
      }
    }
  } catch {
    return undefined; // verifyJournal reports a missing journal itself
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
      if (!path.endsWith(".wal")) return inner;
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
