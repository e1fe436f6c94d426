import assert from "node:assert/strict";
import { type Line, readLineBatches } from "../../src/cli/_lines.ts";
import { defaultWorkers, parseInput, ParsePool } from "../../src/cli/_parse_pool.ts";
import { isBlank, packTexts, parseTexts, unpackTexts } from "../../src/cli/_parse_texts.ts";

const TEXTS = [
  JSON.stringify({
    type: "assertion",
    subject: "earth",
    predicate: "orbits",
    object: "sun",
    source: "kepler",
    confidence: 1,
    timestamp: 0,
  }),
  "",
  "{not json",
  JSON.stringify({ type: "vote", voter: "ann" }),
  "   \t",
  JSON.stringify({ type: "epoch", id: "0a", name: "e", description: "", startTime: 0 }),
];

const worker = (name: string) => new URL(`../support/parse_workers/${name}.ts`, import.meta.url);

/** Outcomes as comparable data (payload views as plain byte arrays). */
function plain(outcomes: ReturnType<typeof unpackTexts>) {
  return outcomes.map((o) => o !== null && o.ok ? { ...o, payload: [...o.payload] } : o);
}

Deno.test("ParsePool gives every line the outcome a parse on the calling thread gives it", async () => {
  using pool = new ParsePool({ workers: 2 });
  assert.equal(pool.workers, 2);
  const [a, b] = await Promise.all([pool.parse(TEXTS), pool.parse([...TEXTS].reverse())]);
  assert.deepEqual(plain(a), plain(parseTexts(TEXTS)));
  assert.deepEqual(plain(b), plain(parseTexts([...TEXTS].reverse())));
  assert.deepEqual(a.map((o) => o === null ? "blank" : o.ok ? "ok" : o.kind), [
    "ok",
    "blank",
    "json",
    "record",
    "blank",
    "ok",
  ]);
  assert.equal(pool.fallback, null);
});

Deno.test("ParsePool parses on the calling thread, with the same outcomes, once a worker fails", async () => {
  using pool = new ParsePool({ workers: 1, workerUrl: worker("throws") });
  const outcomes = await pool.parse(TEXTS);
  assert.deepEqual(plain(outcomes), plain(parseTexts(TEXTS)));
  assert.match(pool.fallback ?? "", /parse worker failed/);
  assert.equal(pool.workers, 0);
  assert.deepEqual(plain(await pool.parse(TEXTS)), plain(outcomes));
});

Deno.test("ParsePool parses a batch on the calling thread when its worker misses the deadline", async () => {
  using pool = new ParsePool({ workers: 1, workerUrl: worker("silent"), deadlineMs: 50 });
  const started = performance.now();
  const outcomes = await pool.parse(TEXTS);
  assert.ok(performance.now() - started < 5_000);
  assert.deepEqual(plain(outcomes), plain(parseTexts(TEXTS)));
  assert.match(pool.fallback ?? "", /did not answer within 50 ms/);
});

Deno.test("ParsePool stops cleanly 10 times in a row, with and without batches in flight", async () => {
  for (let i = 0; i < 10; i++) {
    const pool = new ParsePool({ workers: 1 });
    const inFlight = pool.parse(TEXTS);
    if (i % 2 === 0) await inFlight;
    pool.close();
    // A batch still in flight at close is parsed here: it settles, never hangs.
    assert.equal((await inFlight).length, TEXTS.length);
    assert.equal(pool.workers, 0);
  }
});

Deno.test("parseInput yields the lines read so far while the input pauses", async () => {
  using pool = new ParsePool({ workers: 1 });
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  controller.enqueue(new TextEncoder().encode(TEXTS.join("\n") + "\n" + TEXTS[0]));
  const batches = parseInput(readLineBatches(stream, { maxLineBytes: 1 << 20 }), { pool });
  const first = await batches.next();
  assert.equal(first.done, false);
  // The last line has no newline yet: only the whole ones are out.
  assert.deepEqual(first.value!.map((p) => p.line.number), [1, 2, 3, 4, 5, 6]);
  controller.enqueue(new TextEncoder().encode("\n"));
  controller.close();
  const rest: Line[] = [];
  for await (const batch of batches) rest.push(...batch.map((p) => p.line));
  assert.deepEqual(rest.map((l) => l.number), [7]);
});

Deno.test("parseInput skips the lines before fromLine without parsing them", async () => {
  using pool = new ParsePool({ workers: 1 });
  const stream = ReadableStream.from([new TextEncoder().encode(TEXTS.join("\n") + "\n")]);
  const lines = readLineBatches(stream, { maxLineBytes: 1 << 20 });
  const got = [];
  for await (const batch of parseInput(lines, { pool, fromLine: 4 })) got.push(...batch);
  assert.deepEqual(got.map((p) => p.line.number), [4, 5, 6]);
  assert.deepEqual(got.map((p) => p.outcome === null ? "blank" : p.outcome.ok), [
    false,
    "blank",
    true,
  ]);
});

Deno.test("isBlank() agrees with trim() on blank and non-blank lines", () => {
  for (const text of ["", " ", "\t\r", "\u00a0\u2003\ufeff", " {", "x", "\u2028a", " \u200b"]) {
    assert.equal(isBlank(text), text.trim() === "", JSON.stringify(text));
  }
});

Deno.test("defaultWorkers() starts one worker per idle core, at most 3, none on a saturated machine", () => {
  assert.equal(defaultWorkers(2, 0.3), 1);
  assert.equal(defaultWorkers(2, 1.2), 0);
  assert.equal(defaultWorkers(2, 14), 0);
  assert.equal(defaultWorkers(1, 0), 0);
  assert.equal(defaultWorkers(8, 1.5), 3);
  assert.equal(defaultWorkers(4, 2.5), 1);
});

Deno.test("packTexts() and unpackTexts() carry parseTexts()' outcomes across a thread boundary unchanged", () => {
  const packed = structuredClone(packTexts(TEXTS));
  assert.deepEqual(plain(unpackTexts(packed)), plain(parseTexts(TEXTS)));
});
