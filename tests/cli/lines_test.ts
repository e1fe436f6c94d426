import assert from "node:assert/strict";
import { type Line, readLineGroups, readLines } from "../../src/cli/_lines.ts";

const encoder = new TextEncoder();

/** A stream of `chunks`, counting how many bytes the reader has pulled. */
function counted(
  chunks: Iterable<Uint8Array>,
): { stream: ReadableStream<Uint8Array>; pulled(): number } {
  let pulled = 0;
  const iterator = chunks[Symbol.iterator]();
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = iterator.next();
      if (next.done) return controller.close();
      pulled += next.value.byteLength;
      controller.enqueue(next.value);
    },
  }, { highWaterMark: 0 });
  return { stream, pulled: () => pulled };
}

async function collect(stream: ReadableStream<Uint8Array>, maxLineBytes = 1024): Promise<Line[]> {
  return await Array.fromAsync(readLines(stream, { maxLineBytes }));
}

function texts(lines: Line[]): (string | { problem: string })[] {
  return lines.map((l) => ("problem" in l ? { problem: l.problem } : l.text));
}

Deno.test("readLines() yields every line, blank ones and a last line without newline included", async () => {
  const lines = await collect(ReadableStream.from([encoder.encode("a\n\r\nbc\r\nd")]));
  assert.deepEqual(texts(lines), ["a", "", "bc", "d"]);
  assert.deepEqual(lines.map((l) => l.number), [1, 2, 3, 4]);
  assert.deepEqual(lines.map((l) => l.bytesRead), [2, 4, 8, 9]);
});

Deno.test("readLines() joins a line split across one-byte chunks", async () => {
  const text = "é".repeat(300) + "\nnext\n";
  const bytes = encoder.encode(text);
  const chunks = Array.from(bytes, (b) => new Uint8Array([b]));
  assert.deepEqual(texts(await collect(ReadableStream.from(chunks))), ["é".repeat(300), "next"]);
});

Deno.test("readLines() reports a line that is not UTF-8 by number and goes on", async () => {
  const bytes = new Uint8Array([
    ...encoder.encode("ok\n"),
    0xff,
    0xfe,
    0x0a,
    ...encoder.encode("ok2\n"),
  ]);
  const lines = await collect(ReadableStream.from([bytes]));
  assert.deepEqual(texts(lines), ["ok", { problem: "Not valid UTF-8" }, "ok2"]);
  assert.equal(lines[1].number, 2);
});

Deno.test("readLines() takes a line of exactly maxLineBytes and refuses one byte more", async () => {
  const input = "x".repeat(16) + "\n" + "y".repeat(17) + "\nz\n";
  const lines = await collect(ReadableStream.from([encoder.encode(input)]), 16);
  assert.deepEqual(texts(lines), ["x".repeat(16), { problem: "Longer than 16 bytes" }, "z"]);
  assert.deepEqual(lines.map((l) => l.number), [1, 2, 3]);
});

Deno.test("readLines() refuses a huge line as soon as it passes the cap, holding at most the cap", async () => {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  // 64 MiB without a newline, then one good line: made lazily, never held whole.
  const source = counted((function* () {
    yield encoder.encode("first\n");
    for (let i = 0; i < 1024; i++) yield chunk;
    yield encoder.encode("\nlast\n");
  })());
  const lines = readLines(source.stream, { maxLineBytes: 256 * 1024 });
  assert.deepEqual(texts([(await lines.next()).value as Line]), ["first"]);
  const refused = (await lines.next()).value as Line;
  assert.deepEqual(texts([refused]), [{ problem: "Longer than 262144 bytes" }]);
  assert.equal(refused.number, 2);
  // Refused within one chunk of the cap, not after the 64 MiB were read.
  assert.ok(source.pulled() <= 6 + 256 * 1024 + chunk.byteLength, `pulled ${source.pulled()}`);
  const rest = await Array.fromAsync(lines);
  assert.deepEqual(texts(rest), ["last"]);
  assert.equal(rest[0].number, 3);
});

Deno.test("readLines() stops at an abort and drops the partial line in hand", async () => {
  const controller = new AbortController();
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(encoder.encode("one\ntwo\npart"));
    },
  });
  const seen: string[] = [];
  for await (const line of readLines(stream, { maxLineBytes: 64, signal: controller.signal })) {
    seen.push("problem" in line ? line.problem : line.text);
    if (seen.length === 2) setTimeout(() => controller.abort(), 10);
  }
  assert.deepEqual(seen, ["one", "two"]);
});

Deno.test("readLines() yields the same lines from one chunk of many lines as from one-byte chunks", async () => {
  // A BOM on a line after the first, CRLF, non-ASCII text, blank lines and a long line.
  const text = "\uFEFFfirst\r\nsecond\n\uFEFFthird\r\n\n" + "λ".repeat(200) + "\n\r\nlast";
  const bytes = encoder.encode(text);
  const whole = await collect(ReadableStream.from([bytes]));
  const single = await collect(ReadableStream.from(Array.from(bytes, (b) => new Uint8Array([b]))));
  assert.deepEqual(whole, single);
  assert.deepEqual(texts(whole), ["first", "second", "third", "", "λ".repeat(200), "", "last"]);
});

Deno.test("readLines() finds a bad line inside a chunk of good lines and decodes the rest", async () => {
  const bytes = new Uint8Array([
    ...encoder.encode("a\nb\n"),
    0xc3,
    0x0a,
    ...encoder.encode("c\n" + "x".repeat(20) + "\nd\ne\n"),
  ]);
  const lines = await collect(ReadableStream.from([bytes]), 10);
  assert.deepEqual(texts(lines), [
    "a",
    "b",
    { problem: "Not valid UTF-8" },
    "c",
    { problem: "Longer than 10 bytes" },
    "d",
    "e",
  ]);
  // A too-long line counts the bytes read so far (here the whole chunk).
  assert.deepEqual(lines.map((l) => l.bytesRead), [2, 4, 6, 8, 33, 31, 33]);
});

Deno.test("readLines() keeps a real U+FFFD in a chunk of good lines and still refuses bad bytes", async () => {
  const bytes = new Uint8Array([
    ...encoder.encode("a\nreplacement \uFFFD here\nb\n"),
    0xff,
    ...encoder.encode("\nc\n"),
  ]);
  const lines = await collect(ReadableStream.from([bytes]));
  assert.deepEqual(texts(lines), [
    "a",
    "replacement \uFFFD here",
    "b",
    { problem: "Not valid UTF-8" },
    "c",
  ]);
  const single = await collect(ReadableStream.from(Array.from(bytes, (b) => new Uint8Array([b]))));
  assert.deepEqual(lines, single);
});

Deno.test("readLineGroups() yields together the lines each chunk completes, as readLines() numbers them", async () => {
  const chunks = ["a\nb\nc", "c\n", "\nd\ne\nf", ""].map((c) => encoder.encode(c));
  const groups = await Array.fromAsync(
    readLineGroups(counted(chunks).stream, { maxLineBytes: 1024 }),
  );
  assert.deepEqual(groups.map(texts), [["a", "b"], ["cc"], ["", "d", "e"], ["f"]]);
  assert.deepEqual(groups.flat(), await collect(counted(chunks).stream));
  assert.deepEqual(groups.flat().map((l) => l.number), [1, 2, 3, 4, 5, 6, 7]);
});
