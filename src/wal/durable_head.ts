/**
 * The durable-end file: `[magic u32 LE][durable end u64 LE][crc32c of the
 * first 12 bytes u32 LE]`. The writer rewrites it at position 0 after every
 * sync; readers re-read it on refresh and never go past it.
 *
 * @module
 */
import type { Hashers } from "./checksums.ts";
import type { FileHandle, FileLayer } from "./file_layer.ts";
import { readFull, writeAllSync } from "./file_layer.ts";
import { HEAD_FILE, HEAD_MAGIC, HEAD_SIZE } from "./format.ts";
import { readU32, writeU32 } from "./record_codec.ts";

const TWO_32 = 2 ** 32;
const READ_ATTEMPTS = 3;

/** Encode a durable end into `out` (HEAD_SIZE bytes). */
export function encodeHead(h: Hashers, offset: number, out: Uint8Array): Uint8Array {
  writeU32(out, 0, HEAD_MAGIC);
  writeU32(out, 4, offset % TWO_32);
  writeU32(out, 8, Math.floor(offset / TWO_32));
  writeU32(out, 12, h.crc32c(out.subarray(0, 12)));
  return out;
}

/** Decode a durable end; `null` when the bytes are torn or garbled. */
export function decodeHead(h: Hashers, bytes: Uint8Array): number | null {
  if (bytes.length < HEAD_SIZE) return null;
  if (readU32(bytes, 0) !== HEAD_MAGIC) return null;
  if (h.crc32c(bytes.subarray(0, 12)) !== readU32(bytes, 12)) return null;
  const offset = readU32(bytes, 4) + readU32(bytes, 8) * TWO_32;
  return Number.isSafeInteger(offset) ? offset : null;
}

/** Path of the durable-end file of a journal directory. */
export function headPath(dir: string): string {
  return `${dir}/${HEAD_FILE}`;
}

/**
 * Read the published durable end; a torn read is retried, then reported as
 * `null` ("unknown", the caller falls back to scanning). A missing file is `null`.
 */
export async function readHead(fs: FileLayer, h: Hashers, dir: string): Promise<number | null> {
  let file: FileHandle;
  try {
    file = await fs.open(headPath(dir), { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  try {
    const buf = new Uint8Array(HEAD_SIZE);
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      await file.seek(0, Deno.SeekMode.Start);
      const n = await readFull(file, buf);
      const offset = decodeHead(h, buf.subarray(0, n));
      if (offset !== null) return offset;
    }
    return null;
  } finally {
    file.close();
  }
}

/** The writer's side: rewrites the durable-end file in place. */
export class HeadWriter {
  #file: FileHandle;
  #h: Hashers;
  #buf = new Uint8Array(HEAD_SIZE);

  private constructor(file: FileHandle, h: Hashers) {
    this.#file = file;
    this.#h = h;
  }

  /**
   * Open the durable-end file of `dir`, creating it (and fsyncing the
   * directory, so that the new entry survives a power loss) if needed.
   */
  static async open(fs: FileLayer, h: Hashers, dir: string): Promise<HeadWriter> {
    const path = headPath(dir);
    let file: FileHandle;
    try {
      file = await fs.open(path, { read: true, write: true, createNew: true });
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      return new HeadWriter(await fs.open(path, { read: true, write: true }), h);
    }
    try {
      // Without it a young journal (no rotation yet) could lose the file, and
      // with it the bound recovery tells damage from a torn tail by.
      await fs.syncDir(dir);
    } catch (e) {
      file.close();
      throw e;
    }
    return new HeadWriter(file, h);
  }

  /** Publish `offset`. No fsync is needed for readers (shared page cache). */
  publish(offset: number): void {
    // Blocking: 16 bytes into the page cache cost less than an async op's round trip.
    this.#file.seekSync(0, Deno.SeekMode.Start);
    writeAllSync(this.#file, encodeHead(this.#h, offset, this.#buf));
  }

  /** Publish `offset` and fdatasync it: where a lower end must replace a higher one durably. */
  async publishDurably(offset: number): Promise<void> {
    this.publish(offset);
    await this.#file.syncData();
  }

  /** Close the file. */
  close(): void {
    this.#file.close();
  }
}
