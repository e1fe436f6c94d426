/**
 * Splits a byte stream into numbered text lines, tracking bytes consumed for
 * progress reporting. Lines are split on bytes (0x0A never occurs inside a
 * UTF-8 sequence) and decoded one by one, so invalid UTF-8 is reported with
 * its line number.
 *
 * @module
 */

/** One line of input. */
export interface Line {
  /** 1-based line number. */
  number: number;
  /** The line without its `\n` or `\r\n`. */
  text: string;
  /** Input bytes read so far (chunk granularity). */
  bytesRead: number;
}

const NEWLINE = 0x0a;

/** Yield every line of `stream`, including blank ones, in order. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<Line> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const decode = (bytes: Uint8Array, number: number): string => {
    try {
      return decoder.decode(bytes).replace(/\r$/, "");
    } catch {
      throw new TypeError(`Cannot read input: line ${number} is not valid UTF-8`);
    }
  };
  let pending = new Uint8Array(0);
  let number = 0;
  let bytesRead = 0;
  for await (const chunk of stream) {
    bytesRead += chunk.byteLength;
    let bytes = chunk;
    if (pending.byteLength > 0) {
      bytes = new Uint8Array(pending.byteLength + chunk.byteLength);
      bytes.set(pending);
      bytes.set(chunk, pending.byteLength);
    }
    let start = 0;
    let newline: number;
    while ((newline = bytes.indexOf(NEWLINE, start)) !== -1) {
      number++;
      yield { number, text: decode(bytes.subarray(start, newline), number), bytesRead };
      start = newline + 1;
    }
    pending = bytes.slice(start);
  }
  if (pending.byteLength > 0) {
    number++;
    yield { number, text: decode(pending, number), bytesRead };
  }
}
