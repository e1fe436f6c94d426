/**
 * Splits a byte stream into numbered text lines in linear time and bounded
 * memory. Lines are split on bytes (0x0A never occurs inside a UTF-8 sequence)
 * and decoded one by one, so a line that is not UTF-8 or that is longer than
 * the cap becomes a numbered problem the caller decides about, not an
 * exception that ends the input.
 *
 * @module
 */

/** A line that was read and decoded. */
export interface TextLine {
  /** 1-based line number. */
  number: number;
  /** The line without its `\n` or `\r\n`. */
  text: string;
  /** Input bytes up to and including this line's newline. */
  bytesRead: number;
}

/** A line that cannot be used: too long, or not UTF-8. */
export interface BadLine {
  /** 1-based line number. */
  number: number;
  /** Why the line cannot be used, as `line N: <problem>` would print it. */
  problem: string;
  /** Input bytes consumed so far (for a too-long line: up to where it passed the cap). */
  bytesRead: number;
}

/** One line of input. */
export type Line = TextLine | BadLine;

/** Options of {@linkcode readLines}. */
export interface ReadLinesOptions {
  /** Longest line, in bytes without its newline; a longer one is reported when it passes this. */
  maxLineBytes: number;
  /** Stop reading (a partial last line is dropped, not yielded). */
  signal?: AbortSignal;
}

const NEWLINE = 0x0a;

/**
 * Yield every line of `stream`, including blank ones, in order. Each input
 * byte is copied at most twice (into the pending part of a line split across
 * chunks, then into the joined line), and a pending line never holds more than
 * `maxLineBytes`: the rest of a too-long line is skipped up to its newline.
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  options: ReadLinesOptions,
): AsyncGenerator<Line> {
  for await (const lines of readLineGroups(stream, options)) yield* lines;
}

/**
 * The lines of {@linkcode readLines}, the lines that each chunk of `stream`
 * completes in one array: a loop over them costs no promise per line, which
 * in `append`'s validation pass cost more than splitting and decoding.
 */
export async function* readLineGroups(
  stream: ReadableStream<Uint8Array>,
  options: ReadLinesOptions,
): AsyncGenerator<Line[]> {
  const { maxLineBytes, signal } = options;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const lenient = new TextDecoder("utf-8");
  const reader = stream.getReader();
  const aborted = signal === undefined ? null : abortPromise(signal);
  let parts: Uint8Array[] = [];
  let partsBytes = 0;
  let skipping = false;
  let number = 0;
  let bytesRead = 0;
  let out: Line[] = [];

  const finish = (piece: Uint8Array, end: number): Line => {
    number++;
    let bytes = piece;
    if (parts.length > 0) {
      bytes = new Uint8Array(partsBytes + piece.byteLength);
      let at = 0;
      for (const part of parts) {
        bytes.set(part, at);
        at += part.byteLength;
      }
      bytes.set(piece, at);
      parts = [];
      partsBytes = 0;
    }
    try {
      return { number, text: decoder.decode(bytes).replace(/\r$/, ""), bytesRead: end };
    } catch {
      return { number, problem: "Not valid UTF-8", bytesRead: end };
    }
  };
  const tooLong = (): BadLine => ({
    number,
    problem: `Longer than ${maxLineBytes} bytes`,
    bytesRead,
  });

  try {
    while (true) {
      const next = aborted === null ? reader.read() : Promise.race([reader.read(), aborted]);
      const result = await next;
      if (result === null || signal?.aborted) return;
      if (result.done) break;
      const chunk = result.value;
      const chunkStart = bytesRead;
      bytesRead += chunk.byteLength;
      let start = 0;
      // Whole lines of the chunk decoded in one call, until that fails once.
      let wholeRuns = true;
      while (start < chunk.byteLength) {
        if (wholeRuns && !skipping && partsBytes === 0) {
          const run = decodeWholeLines(chunk, start, { maxLineBytes, decoder, lenient });
          wholeRuns = false;
          if (run !== null) {
            for (let k = 0; k < run.texts.length; k++) {
              number++;
              out.push({ number, text: run.texts[k], bytesRead: chunkStart + run.ends[k] + 1 });
            }
            start = run.ends.at(-1)! + 1;
            continue;
          }
        }
        const newline = chunk.indexOf(NEWLINE, start);
        const end = newline === -1 ? chunk.byteLength : newline;
        if (skipping) {
          if (newline === -1) break;
          skipping = false;
        } else if (partsBytes + (end - start) > maxLineBytes) {
          // Reported the moment it passes the cap; the rest is skipped to its newline.
          parts = [];
          partsBytes = 0;
          number++;
          out.push(tooLong());
          skipping = newline === -1;
        } else if (newline === -1) {
          // Copied: the stream may reuse its chunk buffers.
          parts.push(chunk.slice(start));
          partsBytes += chunk.byteLength - start;
          break;
        } else {
          out.push(finish(chunk.subarray(start, newline), chunkStart + newline + 1));
        }
        start = end + 1;
      }
      if (out.length > 0) {
        yield out;
        out = [];
      }
    }
    if (partsBytes > 0) yield [finish(new Uint8Array(0), bytesRead)];
  } finally {
    if (signal?.aborted) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * The lines of `chunk` from `start` through its last newline, decoded in one
 * call (one call per line costs more than the decoding): `null` when there is
 * no newline, a line is over the cap or the bytes are not all UTF-8, and the
 * caller takes them one by one. Each line comes out as a decoder call of its
 * own would give it: one leading BOM dropped, one trailing `\r` dropped.
 */
function decodeWholeLines(
  chunk: Uint8Array,
  start: number,
  options: { maxLineBytes: number; decoder: TextDecoder; lenient: TextDecoder },
): { texts: string[]; ends: number[] } | null {
  const ends: number[] = [];
  let from = start;
  while (true) {
    const newline = chunk.indexOf(NEWLINE, from);
    if (newline === -1) break;
    if (newline - from > options.maxLineBytes) return null;
    ends.push(newline);
    from = newline + 1;
  }
  if (ends.length < 2) return null;
  const bytes = chunk.subarray(start, ends[ends.length - 1]);
  // The lenient decoder takes Deno's fast path (about 2.5 times the speed of a
  // fatal one) and puts U+FFFD where the bytes are not UTF-8: a run holding
  // one, bad bytes or a real U+FFFD, is decoded again strictly to tell which.
  let text = options.lenient.decode(bytes);
  if (text.indexOf("\uFFFD") !== -1) {
    try {
      text = options.decoder.decode(bytes);
    } catch {
      return null;
    }
  }
  // A loop of indexOf and slice: String.prototype.split cost three times as
  // much on these (often two-byte) megabyte strings.
  const texts: string[] = new Array(ends.length);
  let at = 0;
  for (let k = 0; k < ends.length; k++) {
    const newline = k + 1 < ends.length ? text.indexOf("\n", at) : text.length;
    let first = at;
    let last = newline;
    if (k > 0 && text.charCodeAt(first) === 0xfeff) first++;
    if (last > first && text.charCodeAt(last - 1) === 0x0d) last--;
    texts[k] = text.slice(first, last);
    at = newline + 1;
  }
  return { texts, ends };
}

function abortPromise(signal: AbortSignal): Promise<null> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(null);
    else signal.addEventListener("abort", () => resolve(null), { once: true });
  });
}
