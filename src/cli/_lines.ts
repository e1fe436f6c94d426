/**
 * Splits a byte stream into numbered text lines, tracking bytes consumed for
 * progress reporting.
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

/** Yield every line of `stream`, including blank ones, in order. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<Line> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let pending = "";
  let number = 0;
  let bytesRead = 0;
  for await (const chunk of stream) {
    bytesRead += chunk.byteLength;
    pending += decoder.decode(chunk, { stream: true });
    const parts = pending.split("\n");
    pending = parts.pop()!;
    for (const part of parts) yield { number: ++number, text: part.replace(/\r$/, ""), bytesRead };
  }
  pending += decoder.decode();
  if (pending !== "") yield { number: ++number, text: pending.replace(/\r$/, ""), bytesRead };
}
