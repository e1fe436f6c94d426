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
    "append  [####------------]   25%  ETA 6s  10.0 MiB of 40.0 MiB  5.0 MiB/s",
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
    line.endsWith(" 25%  ETA 30s  50,000 of 200,000  5,000 rec/s  12 commits"),
    line,
  );
});

Deno.test("renderPhase() of a resumed run fills the bar with the earlier work but rates only this run's", () => {
  const line = renderPhase({
    label: "migrate",
    unit: "records",
    done: 150_000,
    startedAt: 100_000,
    total: 200_000,
    elapsedMs: 10_000,
  });
  // 50,000 done in this run's 10 s is 5,000 a second; 50,000 left at that rate is 10 s.
  assert.ok(line.endsWith(" 75%  ETA 10s  150,000 of 200,000  5,000 rec/s"), line);
});

Deno.test("renderPhase() says ETA -- until something is done, and the time taken once finished", () => {
  const base = { label: "verify", unit: "bytes" as const, total: 100, elapsedMs: 500 };
  assert.ok(renderPhase({ ...base, done: 0 }).includes("  0%  ETA --  0 B of 100 B"));
  const finished = renderPhase({ ...base, done: 100, elapsedMs: 61_000, finished: true });
  assert.ok(
    finished.endsWith(`[${"#".repeat(16)}]  100%  in 1m01s  100 B of 100 B  2 B/s`),
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
  assert.ok(line.includes("100%  ETA 0s  10 of 10  10 rec/s"), line);
});

Deno.test("renderPhase() drops the detail first, then the end, to fit the terminal", () => {
  const state = {
    label: "append",
    unit: "bytes" as const,
    done: 1024,
    total: 4096,
    elapsedMs: 1_000,
    detail: "7 records",
  };
  const full = renderPhase(state);
  assert.ok(full.endsWith("1.0 KiB/s  7 records"), full);
  const narrower = renderPhase(state, full.length);
  assert.ok(narrower.endsWith("1.0 KiB/s"), narrower);
  assert.equal(renderPhase(state, 30).length, 29);
});
