/**
 * Test helper: a journal of `<data>/wal` in several small segments, as
 * `append` writes one, and damage to one of its sealed segments.
 */

import assert from "node:assert/strict";
import { serializeAssertion } from "../../src/records/mod.ts";
import { Journal } from "../../src/wal/mod.ts";
import { TS } from "./_cli.ts";

/** One record as appended: where it is and what it holds. */
export interface Appended {
  offset: number;
  next: number;
  payload: Uint8Array;
}

/** A journal of `<data>/wal` in several small segments, as `append` writes one. */
export interface Built {
  wal: string;
  records: Appended[];
  /** Segment file names, oldest first. */
  segments: string[];
}

export const RECORDS = 40;

/** 40 assertions in segments of at most 1 KiB (about a dozen records each). */
export async function build(dataDir: string): Promise<Built> {
  const wal = `${dataDir}/wal`;
  const journal = await Journal.open(wal, { segmentBytes: 1024 });
  const payloads = Array.from({ length: RECORDS }, (_, i) =>
    serializeAssertion({
      subject: `subject ${String(i).padStart(2, "0")}`,
      predicate: "index",
      object: i,
      source: "repair test",
      confidence: 0.5,
      timestamp: TS,
    }));
  const results = await journal.appendBatch(payloads);
  await journal.close();
  const records = results.map((r, i) => ({ offset: r.offset, next: r.next, payload: payloads[i] }));
  const segments = [...Deno.readDirSync(wal)].map((e) => e.name).filter((n) => n.endsWith(".wal"))
    .sort();
  assert.ok(segments.length >= 4, `several sealed segments, got ${segments.length}`);
  return { wal, records, segments };
}

/** The global offset a segment file starts at. */
export const baseOf = (name: string) => Number(name.slice(0, -".wal".length));

/** Flip a payload byte of the third record of the second segment (a sealed one); that record. */
export async function damageSealed(b: Built): Promise<Appended> {
  const name = b.segments[1];
  const base = baseOf(name);
  const victim = b.records.filter((r) => r.offset >= base)[2];
  const path = `${b.wal}/${name}`;
  const bytes = await Deno.readFile(path);
  bytes[victim.offset - base + 45] ^= 0xff;
  await Deno.writeFile(path, bytes);
  return victim;
}
