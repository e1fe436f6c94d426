/**
 * The payloads an all-or-nothing `append` validated in its first pass, held
 * for the append pass so that no line is parsed twice. Payloads are copied
 * end to end into large chunks (one small array per payload would cost more
 * memory than its bytes), up to a byte budget; past it the spool stops taking
 * payloads and says through which line it holds them, and the caller parses
 * the rest again.
 *
 * @module
 */

/** Bytes of one chunk; a larger payload gets a chunk of its own size. */
const CHUNK_BYTES = 4 * 1024 * 1024;

/** Payloads of one chunk, end to end, with their input lines. */
interface Chunk {
  bytes: Uint8Array;
  /** Bytes used. */
  used: number;
  /** End of each payload in `bytes`. */
  ends: number[];
  /** Input line of each payload. */
  lines: number[];
  /** Input bytes read through each payload's line (for progress). */
  bytesRead: number[];
}

/** A batch of spooled payloads, in input order. */
export interface SpoolBatch {
  /** Views of the spooled bytes, valid while the spool lives. */
  payloads: Uint8Array[];
  /** Input line of each payload. */
  lines: number[];
  /** Payload bytes in the batch. */
  bytes: number;
  /** Input bytes read through the line of the batch's last payload. */
  bytesRead: number;
}

/** Payloads held between the two passes of an all-or-nothing append. */
export class PayloadSpool {
  readonly #budget: number;
  #chunks: Chunk[] = [];
  #held = 0;
  #full = false;
  #throughLine = 0;

  /** A spool holding at most `budgetBytes` of payload. */
  constructor(budgetBytes: number) {
    this.#budget = budgetBytes;
  }

  /** `true` once a payload did not fit the budget: later ones are not held. */
  get full(): boolean {
    return this.#full;
  }

  /** Every payload of the input up to this line is held (when not `full`, the last line offered). */
  get throughLine(): number {
    return this.#throughLine;
  }

  /**
   * Hold a copy of `payload` of the input line `position.number`; lines must come in order.
   * Returns the held copy (a view, valid while the spool lives), or `null` (and holds nothing
   * more, ever) when it would pass the budget.
   */
  add(payload: Uint8Array, position: { number: number; bytesRead: number }): Uint8Array | null {
    if (this.#full) return null;
    if (this.#held + payload.byteLength > this.#budget) {
      this.#full = true;
      this.#throughLine = position.number - 1;
      return null;
    }
    let chunk = this.#chunks.at(-1);
    if (chunk === undefined || chunk.used + payload.byteLength > chunk.bytes.byteLength) {
      chunk = {
        bytes: new Uint8Array(Math.max(CHUNK_BYTES, payload.byteLength)),
        used: 0,
        ends: [],
        lines: [],
        bytesRead: [],
      };
      this.#chunks.push(chunk);
    }
    const start = chunk.used;
    chunk.bytes.set(payload, start);
    chunk.used += payload.byteLength;
    chunk.ends.push(chunk.used);
    chunk.lines.push(position.number);
    chunk.bytesRead.push(position.bytesRead);
    this.#held += payload.byteLength;
    this.#throughLine = position.number;
    return view(chunk.bytes, start, chunk.used);
  }

  /** Mark every line through `line` as offered (blank lines after the last payload). */
  offered(line: number): void {
    if (!this.#full) this.#throughLine = line;
  }

  /** The held payloads in input order, in batches of at most `maxRecords` records and about `maxBytes`. */
  *batches(options: { maxRecords: number; maxBytes: number }): Generator<SpoolBatch> {
    let batch: SpoolBatch = { payloads: [], lines: [], bytes: 0, bytesRead: 0 };
    for (const chunk of this.#chunks) {
      let start = 0;
      for (let i = 0; i < chunk.ends.length; i++) {
        const end = chunk.ends[i];
        batch.payloads.push(view(chunk.bytes, start, end));
        batch.lines.push(chunk.lines[i]);
        batch.bytes += end - start;
        batch.bytesRead = chunk.bytesRead[i];
        start = end;
        if (batch.payloads.length >= options.maxRecords || batch.bytes >= options.maxBytes) {
          yield batch;
          batch = { payloads: [], lines: [], bytes: 0, bytesRead: 0 };
        }
      }
    }
    if (batch.payloads.length > 0) yield batch;
  }
}

/**
 * `bytes.subarray(start, end)` without its species lookup: a view per payload,
 * and the constructor costs about half as much as subarray (Deno 2.9).
 */
function view(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}
