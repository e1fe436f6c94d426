import assert from "node:assert/strict";
import {
  findSegment,
  parseSegmentName,
  segmentBases,
  segmentName,
} from "../../src/wal/segment_name.ts";

Deno.test("segmentName() pads the base offset to 20 digits plus .wal", () => {
  assert.equal(segmentName(0), "00000000000000000000.wal");
  assert.equal(segmentName(67108864), "00000000000067108864.wal");
  assert.equal(segmentName(Number.MAX_SAFE_INTEGER), "00009007199254740991.wal");
  assert.throws(() => segmentName(-1), RangeError);
  assert.throws(() => segmentName(1.5), RangeError);
});

Deno.test("parseSegmentName() reads bases back and ignores other files", () => {
  assert.equal(parseSegmentName("00000000000067108864.wal"), 67108864);
  assert.equal(parseSegmentName("0000000000067108864.wal"), null);
  assert.equal(parseSegmentName("00000000000067108864.wal.tmp"), null);
  assert.equal(parseSegmentName("journal.json"), null);
  assert.deepEqual(
    segmentBases(["LOCK", segmentName(200), "durable", segmentName(0), segmentName(100)]),
    [
      0,
      100,
      200,
    ],
  );
});

Deno.test("findSegment() binary-searches the segment holding an offset", () => {
  const bases = [100, 200, 300];
  assert.equal(findSegment(bases, 99), -1);
  assert.equal(findSegment(bases, 100), 0);
  assert.equal(findSegment(bases, 199), 0);
  assert.equal(findSegment(bases, 200), 1);
  assert.equal(findSegment(bases, 10_000), 2);
  assert.equal(findSegment([], 0), -1);
});
