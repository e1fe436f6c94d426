/**
 * The parse of `append`'s lines as it crosses threads: `parseRecordLine` of
 * each text, the records as plain data (structured-cloned), and every
 * payload end to end in one buffer that is transferred, not copied. The
 * parse pool's workers and the calling thread both go through
 * {@linkcode parseTexts}, so a line parses the same wherever it does.
 *
 * @module
 */

import { type ParsedLine, parseRecordLine, type RejectedLine } from "../records/mod.ts";

/** What became of one line: its record and payload, why it is rejected, or `null` when blank. */
export type LineOutcome = ParsedLine | RejectedLine | null;

/** The outcomes of a batch of texts, packed to cross threads. */
export interface PackedTexts {
  /** Each text's outcome without its payload. */
  outcomes: (Omit<ParsedLine, "payload"> | RejectedLine | null)[];
  /** Every accepted line's payload, end to end. */
  bytes: ArrayBuffer;
  /** End of text `i`'s payload in `bytes` (the previous end when it has none). */
  ends: number[];
}

/** The outcome of each of `texts`: `parseRecordLine`'s, or `null` for a blank one. */
export function parseTexts(texts: readonly string[]): LineOutcome[] {
  return texts.map((text) => isBlank(text) ? null : parseRecordLine(text));
}

/** {@linkcode parseTexts} of `texts`, packed to cross threads. */
export function packTexts(texts: readonly string[]): PackedTexts {
  const outcomes: PackedTexts["outcomes"] = [];
  const parsed = parseTexts(texts);
  let total = 0;
  for (const outcome of parsed) if (outcome?.ok) total += outcome.payload.byteLength;
  const bytes = new Uint8Array(total);
  const ends: number[] = [];
  let at = 0;
  for (const outcome of parsed) {
    if (outcome?.ok) {
      outcomes.push({ ok: true, record: outcome.record });
      bytes.set(outcome.payload, at);
      at += outcome.payload.byteLength;
    } else outcomes.push(outcome);
    ends.push(at);
  }
  return { outcomes, bytes: bytes.buffer, ends };
}

/** The outcomes of `packed`, each accepted line with a view of its payload. */
export function unpackTexts(packed: PackedTexts): LineOutcome[] {
  const out: LineOutcome[] = [];
  let start = 0;
  for (let i = 0; i < packed.outcomes.length; i++) {
    const outcome = packed.outcomes[i];
    const end = packed.ends[i];
    if (outcome !== null && outcome.ok) {
      out.push({ ...outcome, payload: new Uint8Array(packed.bytes, start, end - start) });
    } else out.push(outcome);
    start = end;
  }
  return out;
}

/** Whether `text` is empty or all white space (`trim()`'s, without copying the line). */
export function isBlank(text: string): boolean {
  return BLANK.test(text);
}

/** `\s` is the white space and line terminators `String.prototype.trim` removes. */
const BLANK = /^\s*$/;
