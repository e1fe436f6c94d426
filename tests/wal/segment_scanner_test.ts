import assert from "node:assert/strict";
import { Journal } from "../../src/wal/mod.ts";
import { loadHashers } from "../../src/wal/checksums.ts";
import { denoFileLayer } from "../../src/wal/file_layer.ts";
import { HEADER_SIZE } from "../../src/wal/format.ts";
import { type ScanStep, SegmentScanner } from "../../src/wal/segment_scanner.ts";

/** A step as compared: its kind, position, length or reason, and payload bytes. */
function shape(step: ScanStep): unknown {
  if (step.kind !== "record") return step;
  return { kind: step.kind, pos: step.pos, len: step.len, payload: [...step.payload] };
}

/** Every step of `segment` from 0 to `limit`, through `next()` only or `nextBuffered()` first. */
async function scan(path: string, limit: number, buffered: boolean) {
  const file = await denoFileLayer.open(path, { read: true });
  const scanner = new SegmentScanner(file, await loadHashers(), {
    start: 0,
    limit,
    maxRecordBytes: 1 << 20,
    verify: "crc",
    chunkBytes: 256, // a few records a chunk: some steps need a read, most do not
  });
  const steps: unknown[] = [];
  let fromBuffer = 0;
  let fromRead = 0;
  try {
    while (true) {
      const quick = buffered ? scanner.nextBuffered() : null;
      if (quick !== null) fromBuffer++;
      else fromRead++;
      const step = quick ?? await scanner.next();
      steps.push(shape(step));
      if (step.kind !== "record") return { steps, fromBuffer, fromRead };
    }
  } finally {
    file.close();
  }
}

Deno.test("SegmentScanner.nextBuffered() gives the steps next() gives, and null where a step needs a read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stemedb-scanner-" });
  try {
    const journal = await Journal.open(dir);
    // Payloads of varied sizes, some larger than a chunk.
    const payloads = Array.from(
      { length: 60 },
      (_, i) => new Uint8Array((i * 37) % 300 + 1).fill(i + 1),
    );
    await journal.appendBatch(payloads);
    const end = journal.durableOffset;
    const [segment] = await journal.segments();
    await journal.close();

    const plain = await scan(segment.path, end, false);
    const buffered = await scan(segment.path, end, true);
    assert.equal(plain.steps.length, payloads.length + 1);
    assert.deepEqual(buffered.steps, plain.steps);
    assert.ok(buffered.fromBuffer > 0 && buffered.fromRead > 0, JSON.stringify(buffered));

    // A flipped payload byte mid-segment: both report the same bad record at the same place.
    const bytes = await Deno.readFile(segment.path);
    const at = (plain.steps[30] as { pos: number }).pos + HEADER_SIZE + 1;
    bytes[at] ^= 0xff;
    await Deno.writeFile(segment.path, bytes);
    const plainBad = await scan(segment.path, end, false);
    const bufferedBad = await scan(segment.path, end, true);
    assert.deepEqual(bufferedBad.steps, plainBad.steps);
    assert.equal((plainBad.steps.at(-1) as ScanStep).kind, "bad");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
