import assert from "node:assert/strict";
import { join } from "node:path";
import { appendCommand, runAppend } from "../../src/cli/append.ts";
import { parseCommand } from "../../src/cli/_command.ts";
import { decodeRecord, parseRecordLine } from "../../src/records/mod.ts";
import { Journal } from "../../src/wal/mod.ts";

function assertionLine(i: number): string {
  return JSON.stringify({
    type: "assertion",
    subject: `subject-${i}`,
    predicate: "p",
    object: `object ${"x".repeat(i % 7)}`,
    source: "spool test",
    confidence: 0.5,
    timestamp: 1_700_000_000_000 + i,
  });
}

async function journalPayloads(walDir: string): Promise<Uint8Array[]> {
  const journal = await Journal.open(walDir, { readOnly: true });
  try {
    return (await Array.fromAsync(journal.readFrom(journal.firstOffset))).map((r) => r.payload);
  } finally {
    await journal.close();
  }
}

Deno.test("append parses again the lines past its spool budget and appends every line once, in order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lines = Array.from({ length: 50 }, (_, i) => assertionLine(i));
    // Blank lines on both sides of where the budget runs out.
    lines.splice(20, 0, "", "");
    const file = join(dir, "in.ndjson");
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    const expected = lines.filter((l) => l !== "").map((l) => {
      const parsed = parseRecordLine(l);
      if (!parsed.ok) throw new Error(parsed.reason);
      return parsed.payload;
    });
    for (const budget of [0, 1, 2_000, 1 << 20]) {
      const data = join(dir, `data-${budget}`);
      const input = await parseCommand(appendCommand, [file, "--data", data, "--batch", "7"]);
      assert.ok(input !== null);
      const code = await runAppend(input, budget);
      assert.equal(code, 0, `budget ${budget}`);
      const payloads = await journalPayloads(join(data, "wal"));
      assert.deepEqual(payloads, expected, `budget ${budget}`);
      assert.equal(decodeRecord(payloads.at(-1)!).type, "assertion");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
