/**
 * Helpers shared by the multi-process journal tests and their child scripts:
 * a seeded PRNG, deterministic payloads the parent can rebuild from an
 * identity, and a line reader for a child's stdout.
 *
 * @module
 */

/** A seeded 32-bit PRNG (mulberry32): the same seed gives the same sequence. */
export class Prng {
  #state: number;
  /** Seed the generator. */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Next float in [0, 1). */
  next(): number {
    return this.nextU32() / 0x1_0000_0000;
  }
  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}

/** A fresh random seed, for tests that print it so a failure can be replayed. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** Mixes a list of small integers into one 32-bit seed (FNV-1a over their bytes). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    for (let i = 0; i < 4; i++) {
      h ^= (part >>> (i * 8)) & 0xff;
      h = Math.imul(h, 0x01000193);
    }
  }
  return h >>> 0;
}

/**
 * Deterministic payload of a record identified by `ids` (for example round,
 * task and sequence number). Mostly small, sometimes a few KiB, now and then
 * larger, never more than `maxBytes`. The bytes start with the identity in
 * ASCII so a mismatch in a failure message is readable.
 */
export function payloadFor(ids: number[], maxBytes = 16 * 1024): Uint8Array {
  const prng = new Prng(mixSeed(...ids));
  const pick = prng.next();
  const size = pick < 0.8
    ? prng.int(1, 300)
    : pick < 0.97
    ? prng.int(301, 4096)
    : prng.int(4097, maxBytes);
  const bytes = new Uint8Array(size);
  const label = new TextEncoder().encode(`${ids.join(".")}|`);
  bytes.set(label.subarray(0, size));
  for (let i = label.length; i < size; i++) bytes[i] = prng.nextU32() & 0xff;
  return bytes;
}

/**
 * The identity a `payloadFor` payload starts with, or `null` when the payload
 * is too short to hold all of it.
 */
export function identityOf(payload: Uint8Array): number[] | null {
  const bar = payload.indexOf(0x7c); // "|"
  if (bar < 0) return null;
  return new TextDecoder().decode(payload.subarray(0, bar)).split(".").map(Number);
}

/** True when two byte arrays hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lowercase hex of bytes. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Complete lines of a byte stream, as they arrive. A last line without its
 * newline (a print cut short by SIGKILL) is dropped: only whole lines count.
 */
export async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
    }
  }
}

const encoder = new TextEncoder();

/**
 * Prints a line to stdout with direct, unbuffered writes (console.log can sit
 * in a buffer when stdout is a pipe). A line of under 4 KiB reaches a pipe
 * whole or not at all, so a SIGKILL never leaves half a line behind.
 */
export function printLine(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let done = 0;
  while (done < bytes.length) done += Deno.stdout.writeSync(bytes.subarray(done));
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
