/**
 * How much consumed journal the service keeps: `--retention` (and
 * `STEMEDB_RETENTION`) as a duration (`90s`, `30m`, `12h`, `7d`, `2w`) or a
 * size (`0`, `4096`, `512KB`, `64MiB`, `1GB`). The service deletes sealed
 * segments every consumer has read; a retention keeps that much more.
 *
 * @module
 */

import type { CleanupOptions } from "../ingest/mod.ts";

const DURATION_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const SIZE_BYTES: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * Parse a retention: a duration gives `retainMs`, a size `retainBytes`.
 *
 * @throws {RangeError} If `text` is neither, naming what was given.
 */
export function parseRetention(text: string): CleanupOptions {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match?.[2].toLowerCase() ?? "";
  const amount = Number(match?.[1]);
  if (match !== null && unit in DURATION_MS) {
    return { retainMs: Math.round(amount * DURATION_MS[unit]) };
  }
  if (match !== null && unit in SIZE_BYTES) {
    const bytes = amount * SIZE_BYTES[unit];
    if (Number.isSafeInteger(Math.round(bytes))) return { retainBytes: Math.round(bytes) };
  }
  throw new RangeError(
    `Invalid retention "${text}": expected a duration (30m, 12h, 7d) or a size (0, 512MB, 1GiB)`,
  );
}

/** A retention as `parseRetention()` reads it back: `0`, `7d`, `90s`, `1073741824 bytes`. */
export function describeRetention(retention: CleanupOptions): string {
  const parts: string[] = [];
  const { retainMs } = retention;
  if (retainMs !== undefined) {
    const units = Object.entries(DURATION_MS).reverse();
    const [unit, ms] = units.find(([, ms]) => retainMs % ms === 0) ?? ["ms", 1];
    parts.push(`${retainMs / ms}${unit}`);
  }
  if (retention.retainBytes) parts.push(`${retention.retainBytes} bytes`);
  return parts.length === 0 ? "0" : parts.join(" and ");
}
