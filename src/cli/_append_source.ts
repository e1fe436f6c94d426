/**
 * Where `append` reads its NDJSON: a file, which can be read twice (the
 * all-or-nothing validation pass, then the append pass), or stdin.
 *
 * @module
 */

import { printErr } from "./_output.ts";

/** The input of one `append` run. */
export interface Source {
  /** Bytes of input, when known before reading (not for streamed stdin). */
  size?: number;
  open(): ReadableStream<Uint8Array>;
}

/**
 * A file can be read twice. Stdin is buffered so two passes see the same
 * bytes, unless `once`: then it streams, for inputs that never end.
 */
export async function openSource(
  path: string | undefined,
  options: { once: boolean },
): Promise<Source> {
  if (path === undefined || path === "-") {
    if (Deno.stdin.isTerminal()) {
      printErr("Reading NDJSON records from stdin; end with Ctrl-D (or pass a file)");
    }
    if (options.once) return { open: () => Deno.stdin.readable };
    const bytes = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
    return { size: bytes.byteLength, open: () => ReadableStream.from([bytes]) };
  }
  let size: number;
  try {
    const info = await Deno.stat(path);
    if (info.isDirectory) throw new Error("it is a directory");
    size = info.size;
  } catch (error) {
    throw new Error(`Cannot read input "${path}": ${(error as Error).message}`);
  }
  return {
    size,
    open: () => fileStream(Deno.openSync(path, { read: true })),
  };
}

/**
 * Bytes of one read of an input file: a file's own `readable` reads 64 KiB at
 * a time, and at a few hundred bytes a line each read (a thread-pool round
 * trip) and each decode of a chunk's lines cost more per line than a larger
 * read does.
 */
const READ_BYTES = 1024 * 1024;

/** `file`'s bytes, `READ_BYTES` a read; closes the file at its end or on cancel. */
function fileStream(file: Deno.FsFile): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // A new array each read: the stream reads one chunk ahead of its reader.
      const buf = new Uint8Array(READ_BYTES);
      let n: number | null;
      try {
        n = await file.read(buf);
      } catch (error) {
        file.close();
        throw error;
      }
      if (n === null) {
        file.close();
        controller.close();
      } else controller.enqueue(buf.subarray(0, n));
    },
    cancel() {
      file.close();
    },
  });
}
