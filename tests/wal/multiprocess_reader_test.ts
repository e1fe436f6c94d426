import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createCRC32, type IHasher } from "hash-wasm";
import { denoFileLayer, type FileLayer, Journal, JournalLockedError } from "../../src/wal/mod.ts";
import { CRC32C_POLYNOMIAL, HEAD_FILE, HEAD_MAGIC, HEAD_SIZE } from "../../src/wal/format.ts";
import {
  bytesEqual,
  delay,
  hex,
  identityOf,
  lines,
  payloadFor,
  Prng,
  randomSeed,
} from "./_child_util.ts";

const WRITER = fileURLToPath(new URL("./_child_writer.ts", import.meta.url));
const OPENER = fileURLToPath(new URL("./_child_open.ts", import.meta.url));
const APPENDER = fileURLToPath(new URL("./_child_appender.ts", import.meta.url));
const RECORDS = 600;
/** Small segments: about twenty rotations for 600 records. */
const SEGMENT_BYTES = 16 * 1024;

let crc32c: IHasher | undefined;

/**
 * The durable end the writer last published, read straight from the file
 * (independently of the reader's own bookkeeping); 0 before the first publish.
 */
async function publishedEnd(dir: string): Promise<number> {
  crc32c ??= await createCRC32(CRC32C_POLYNOMIAL);
  for (let attempt = 0;; attempt++) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(join(dir, HEAD_FILE));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return 0;
      throw error;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    crc32c.init();
    const crc = bytes.length === HEAD_SIZE
      ? Number.parseInt(crc32c.update(bytes.subarray(0, 12)).digest("hex"), 16)
      : -1;
    if (
      bytes.length === HEAD_SIZE && view.getUint32(0, true) === HEAD_MAGIC &&
      view.getUint32(12, true) === crc
    ) {
      return Number(view.getBigUint64(4, true));
    }
    // A publish caught half-written would be a writer bug if it is replaced by rename;
    // retry a few times before calling it one.
    assert.ok(attempt < 20, `Durable-end file of "${dir}" stays invalid: ${hex(bytes)}`);
    await delay(1);
  }
}

Deno.test("A reader process tails a writer process across rotations, in order, never past the durable end", async () => {
  const seed = Number(Deno.env.get("WAL_READER_SEED") ?? randomSeed());
  const dir = await Deno.makeTempDir({ prefix: "wal_tail_" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", WRITER, dir, String(RECORDS), String(seed), String(SEGMENT_BYTES)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const out = lines(child.stdout);
  let reader: Journal | undefined;
  // A reader stuck inside readFrom never reaches the deadline check below: abort it.
  const watchdog = new AbortController();
  const watchdogTimer = setTimeout(() => watchdog.abort(), 40_000);
  try {
    const first = await out.next();
    // (The message must not await stderr eagerly: that waits for the writer to exit.)
    if (first.value !== "ready") assert.fail(`Writer did not start: ${await stderr}`);
    const rest = Array.fromAsync(out);

    reader = await Journal.open(dir, { readOnly: true });
    assert.equal(reader.readOnly, true);
    let position = reader.firstOffset;
    let seen = 0;
    let refreshes = 0;
    const deadline = Date.now() + 30_000;
    while (seen < RECORDS) {
      for await (const record of reader.readFrom(position, { signal: watchdog.signal })) {
        const where = `record ${seen} at offset ${record.offset} (seed ${seed})`;
        assert.equal(record.offset, position, `Not contiguous: ${where}`);
        assert.ok(
          record.next <= reader.durableOffset,
          `Yielded past the reader's durable end ${reader.durableOffset}: ${where}`,
        );
        const published = await publishedEnd(dir);
        assert.ok(record.next <= published, `Yielded past published end ${published}: ${where}`);
        assert.ok(bytesEqual(record.payload, payloadFor([seed, seen], 3000)), `Payload: ${where}`);
        position = record.next;
        seen++;
      }
      if (seen >= RECORDS) break;
      assert.ok(Date.now() < deadline, `Reader saw only ${seen} of ${RECORDS} records`);
      const durable = await reader.refresh();
      refreshes++;
      assert.ok(durable >= position, `refresh() went backwards: ${durable} < ${position}`);
      if (durable === position) await delay(2);
    }

    const status = await child.status;
    assert.equal(status.code, 0, `Writer failed: ${await stderr}`);
    const done = (await rest).find((line) => line.startsWith("done "));
    assert.equal(done, `done ${position}`, "Reader and writer disagree on the end of the log");
    assert.equal(await reader.refresh(), position);
    const more = await Array.fromAsync(reader.readFrom(position));
    assert.equal(more.length, 0, "Records beyond the writer's last append");
    const segments = await reader.segments();
    assert.ok(segments.length >= 4, `Only ${segments.length} segments: too few rotations`);
    assert.ok(refreshes > 0, "Reader never had to wait for the writer");
  } finally {
    clearTimeout(watchdogTimer);
    await reader?.close();
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await child.status;
    await stderr;
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs `_child_open.ts` as `role` and returns its exit code and output. */
async function runOpener(dir: string, role: "writer" | "reader") {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", OPENER, dir, role],
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("A second writer process fails naming the directory while a reader process reads", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wal_lock_" });
  const writer = await Journal.open(dir);
  try {
    const payloads = Array.from({ length: 20 }, (_, i) => payloadFor([42, i]));
    for (const payload of payloads) await writer.append(payload);

    await assert.rejects(Journal.open(dir), (error: unknown) => {
      assert.ok(error instanceof JournalLockedError, `Unexpected ${error}`);
      assert.ok(error.message.includes(`"${dir}"`), error.message);
      return true;
    });

    const second = await runOpener(dir, "writer");
    assert.equal(second.code, 2, `Second writer opened: ${second.stdout}${second.stderr}`);
    assert.match(second.stderr, /^JournalLockedError: /);
    assert.ok(
      second.stderr.includes(`"${dir}"`),
      `Error does not name the directory: ${second.stderr}`,
    );
    assert.match(second.stderr, /locked/);

    const read = await runOpener(dir, "reader");
    assert.equal(read.code, 0, `Reader failed: ${read.stderr}`);
    const seen = JSON.parse(read.stdout) as {
      durableOffset: number;
      records: { offset: number; next: number; payload: string }[];
    };
    assert.equal(seen.durableOffset, writer.durableOffset);
    assert.deepEqual(seen.records.map((r) => r.payload), payloads.map(hex));
  } finally {
    await writer.close();
  }
  try {
    const after = await runOpener(dir, "writer");
    assert.equal(after.code, 0, `Writer cannot open after the first closed: ${after.stderr}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("A reader whose refresh races a rotation still reads every record, never a false corruption", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wal_race_" });
  const writer = await Journal.open(dir, { segmentBytes: 1024 });
  // The race, made deterministic: the writer rotates (and publishes a durable end
  // inside a segment the reader has not listed) between the reader's directory
  // listing and its read of the durable end.
  let between: (() => Promise<void>) | null = null;
  const racyFs: FileLayer = {
    ...denoFileLayer,
    async readDir(path) {
      const names = await denoFileLayer.readDir(path);
      const hook = between;
      between = null;
      await hook?.();
      return names;
    },
  };
  const reader = await Journal.open(dir, { readOnly: true, fs: racyFs });
  try {
    const payloads = Array.from({ length: 21 }, (_, i) => payloadFor([7, i], 300));
    await writer.append(payloads[0]);
    between = async () => {
      for (const payload of payloads.slice(1)) await writer.append(payload);
    };
    const seen: Uint8Array[] = [];
    let position = 0;
    for (let pass = 0; pass < 3 && seen.length < payloads.length; pass++) {
      for await (const record of reader.readFrom(position)) {
        assert.equal(record.offset, position);
        seen.push(record.payload);
        position = record.next;
      }
    }
    assert.ok((await writer.segments()).length >= 3, "The writer did not rotate");
    assert.equal(seen.length, payloads.length);
    seen.forEach((payload, i) => assert.ok(bytesEqual(payload, payloads[i]), `Record ${i}`));
  } finally {
    await reader.close();
    await writer.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("A reader tailing through writer SIGKILLs only ever sees records that survive recovery", async () => {
  const seed = Number(Deno.env.get("WAL_READER_SEED") ?? randomSeed());
  const prng = new Prng(seed);
  const dir = await Deno.makeTempDir({ prefix: "wal_tail_crash_" });
  await (await Journal.open(dir, { segmentBytes: SEGMENT_BYTES })).close();
  const reader = await Journal.open(dir, { readOnly: true });
  const seen: { offset: number; next: number; payload: Uint8Array }[] = [];
  let stop = false;
  const tail = (async () => {
    let position = 0;
    while (true) {
      const stopping = stop; // one last pass after the writers are done
      for await (const record of reader.readFrom(position)) {
        assert.equal(record.offset, position, `Not contiguous at ${position} (seed ${seed})`);
        seen.push(record);
        position = record.next;
      }
      if (stopping) return;
      if (await reader.refresh() === position) await delay(1);
    }
  })();
  try {
    for (let round = 0; round < 8; round++) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", APPENDER, dir, String(round), String(SEGMENT_BYTES), "always"],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const stderr = new Response(child.stderr).text();
      // Kill once the reader has seen this writer append a random number of
      // records (not after a fixed time: a loaded machine starts Deno slowly),
      // then at a random moment a little later.
      const target = seen.length + prng.int(130, 400);
      const deadline = Date.now() + 60_000;
      while (seen.length < target && Date.now() < deadline) await delay(2);
      assert.ok(
        seen.length >= target,
        `Writer ${round} appended too little in 60 s: ${seen.length}`,
      );
      await delay(prng.int(0, 50));
      try {
        child.kill("SIGKILL");
      } catch {
        // Exited by itself: the status check reports it.
      }
      const status = await child.status;
      assert.equal(status.signal, "SIGKILL", `Writer ${round} ended by itself: ${await stderr}`);
    }
  } finally {
    stop = true;
    await tail;
    await reader.close();
  }
  try {
    const journal = await Journal.open(dir, { segmentBytes: SEGMENT_BYTES });
    try {
      const survived = await Array.fromAsync(journal.readFrom(journal.firstOffset));
      assert.ok(seen.length > 1_000, `The reader saw only ${seen.length} records`);
      assert.ok(survived.length >= seen.length, "Recovery removed records a reader had seen");
      for (let i = 0; i < seen.length; i++) {
        const where = `record ${i} at offset ${seen[i].offset} (seed ${seed})`;
        assert.equal(survived[i].offset, seen[i].offset, `Reader saw a different log: ${where}`);
        assert.ok(bytesEqual(survived[i].payload, seen[i].payload), `Payload changed: ${where}`);
        const ids = identityOf(seen[i].payload);
        if (ids !== null) {
          assert.ok(bytesEqual(seen[i].payload, payloadFor(ids)), `Reader saw garbage: ${where}`);
        }
      }
    } finally {
      await journal.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
