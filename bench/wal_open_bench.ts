/**
 * Times `Journal.open` on a large journal against a full `verifyJournal`
 * scan of the same log: open verifies the active segment and no sealed one,
 * so it must not grow with the size of the log. The journal is built with its
 * active segment all but full, the most open ever verifies.
 *
 * @module
 */

import { DEFAULT_SEGMENT_BYTES, HEADER_SIZE, Journal, verifyJournal } from "../src/wal/mod.ts";
import { inTempDir, median, timed } from "./wal_measure.ts";
import type { TargetRow } from "./_targets.ts";

/** Payload size used to build the journal quickly. */
const BUILD_PAYLOAD_BYTES = 4096;
/** Payloads per `appendBatch` while building (about 1 MiB of records). */
const BUILD_BATCH = 256;

/** What {@linkcode measureOpen} found. */
export interface OpenResult {
  /** Bytes of records in the journal. */
  bytes: number;
  /** Records in the journal. */
  records: number;
  /** Segment files in the journal. */
  segments: number;
  /** Bytes of the active segment: what open verifies. */
  activeBytes: number;
  /** Milliseconds to build the journal (durability "none", then close). */
  buildMs: number;
  /** Median milliseconds of `Journal.open` (writer, default options). */
  openMs: number;
  /** Every timed `Journal.open`, in milliseconds. */
  openTrials: number[];
  /** Median milliseconds of `Journal.open(dir, { readOnly: true })`. */
  readerOpenMs: number;
  /** Milliseconds of one full `verifyJournal` scan. */
  verifyMs: number;
  /** Problems `verifyJournal` reported (expected none). */
  problems: number;
}

/** Builds a journal of about `totalBytes`, then times opening and verifying it. */
export function measureOpen(totalBytes: number, trials: number): Promise<OpenResult> {
  return inTempDir(undefined, async (dir) => {
    const payloads: Uint8Array[] = [];
    for (let i = 0; i < BUILD_BATCH; i++) {
      payloads.push(crypto.getRandomValues(new Uint8Array(BUILD_PAYLOAD_BYTES)));
    }
    const build = await timed(async () => {
      const journal = await Journal.open(dir, { durability: "none" });
      try {
        let end = 0;
        while (end < totalBytes) {
          const results = await journal.appendBatch(payloads);
          end = results[results.length - 1].next;
        }
        // then fill the active segment to within one record of a rotation
        const record = BUILD_PAYLOAD_BYTES + HEADER_SIZE;
        const one = payloads.slice(0, 1);
        let active = (await journal.segments()).at(-1)!;
        while (active.end - active.base + record <= DEFAULT_SEGMENT_BYTES) {
          const room = Math.floor((DEFAULT_SEGMENT_BYTES - (active.end - active.base)) / record);
          await journal.appendBatch(room >= BUILD_BATCH ? payloads : one);
          active = (await journal.segments()).at(-1)!;
        }
      } finally {
        await journal.close();
      }
    });

    const openTrials: number[] = [];
    let segments = 0;
    let activeBytes = 0;
    for (let i = 0; i < trials; i++) {
      const { ms, value: journal } = await timed(() => Journal.open(dir));
      openTrials.push(ms);
      const list = await journal.segments();
      segments = list.length;
      activeBytes = list[list.length - 1].end - list[list.length - 1].base;
      await journal.close();
    }
    const readerTrials: number[] = [];
    for (let i = 0; i < trials; i++) {
      const { ms, value: reader } = await timed(() => Journal.open(dir, { readOnly: true }));
      readerTrials.push(ms);
      await reader.close();
    }
    const verify = await timed(() => verifyJournal(dir));
    return {
      bytes: verify.value.bytes,
      records: verify.value.records,
      segments,
      activeBytes,
      buildMs: build.ms,
      openMs: median(openTrials),
      openTrials,
      readerOpenMs: median(readerTrials),
      verifyMs: verify.ms,
      problems: verify.value.problems.length,
    };
  });
}

/** Prints the open-time figures; returns the target row (open ≥ 10× faster than a full scan). */
export function printOpenResult(r: OpenResult): TargetRow {
  const mib = (r.bytes / (1024 * 1024)).toFixed(0);
  const ratio = r.verifyMs / r.openMs;
  console.log(
    `\nJournal.open on ${mib} MiB (${r.records.toLocaleString("en-US")} records, ` +
      `${r.segments} segments, the active one ${(r.activeBytes / 2 ** 20).toFixed(1)} MiB; ` +
      `built in ${(r.buildMs / 1000).toFixed(1)} s)`,
  );
  console.log(
    `  Journal.open (writer):   ${r.openMs.toFixed(1)} ms median ` +
      `(${r.openTrials.map((ms) => ms.toFixed(1)).join(", ")})`,
  );
  console.log(`  Journal.open (readOnly): ${r.readerOpenMs.toFixed(1)} ms median`);
  console.log(
    `  verifyJournal (full):    ${r.verifyMs.toFixed(1)} ms, ${r.problems} problems`,
  );
  return {
    key: "wal-open",
    path: `Journal.open on a ${mib} MiB journal vs a full verifyJournal scan`,
    figure: `${r.openMs.toFixed(1)} ms`,
    peer: `verifyJournal: ${r.verifyMs.toFixed(0)} ms`,
    ratio,
    compare: ">=",
    target: 10,
    digits: 0,
  };
}
