import assert from "node:assert/strict";
import { formatDuration, renderPhase } from "../../src/cli/_progress.ts";

Deno.test("formatDuration() reads as seconds, minutes and hours", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(4_400), "4s");
  assert.equal(formatDuration(125_000), "2m05s");
  assert.equal(formatDuration(3_720_000), "1h02m");
});

Deno.test("renderPhase() shows the bar, percentage, figures, mean rate and time left", () => {
  const line = renderPhase({
    label: "append",
    unit: "bytes",
    done: 10 * 1024 * 1024,
    total: 40 * 1024 * 1024,
    elapsedMs: 2_000,
  });
  // 10 MiB in 2 s is 5 MiB/s; 30 MiB left at that rate is 6 s.
  assert.equal(
    line,
    "append  [######------------------]   25%  10.0 MiB of 40.0 MiB  5.0 MiB/s  ETA 6s",
  );
});

Deno.test("renderPhase() counts records with their rate and an ETA from the revised total", () => {
  const line = renderPhase({
    label: "ingest",
    unit: "records",
    done: 50_000,
    total: 200_000,
    elapsedMs: 10_000,
    detail: "12 commits",
  });
  assert.ok(
    line.endsWith(" 25%  50,000 of 200,000 records  5,000 rec/s  ETA 30s  12 commits"),
    line,
  );
});

Deno.test("renderPhase() says ETA -- until something is done, and the time taken once finished", () => {
  const base = { label: "verify", unit: "bytes" as const, total: 100, elapsedMs: 500 };
  assert.match(renderPhase({ ...base, done: 0 }), /ETA --$/);
  const finished = renderPhase({ ...base, done: 100, elapsedMs: 61_000, finished: true });
  assert.ok(
    finished.endsWith(`[${"#".repeat(24)}]  100%  100 B of 100 B  2 B/s  in 1m01s`),
    finished,
  );
});

Deno.test("renderPhase() without a total shows the count and rate, no bar or ETA", () => {
  const line = renderPhase({ label: "append", unit: "bytes", done: 2048, elapsedMs: 1_000 });
  assert.equal(line, "append  2.0 KiB  2.0 KiB/s");
});

Deno.test("renderPhase() never shows more than the total", () => {
  const line = renderPhase({
    label: "ingest",
    unit: "records",
    done: 12,
    total: 10,
    elapsedMs: 1_000,
  });
  assert.ok(line.includes("100%  10 of 10 records"), line);
});
