import assert from "node:assert/strict";
import { Ingestor } from "../../src/ingest/mod.ts";
import { assertAppliedOnce, openEnv } from "./_helpers.ts";
import { writeMixedLog } from "./_log.ts";
import { assertTallyClose } from "../support/consensus_reference.ts";
import { readLines, spawnChild } from "./_process.ts";

const KILLS = 24;

Deno.test("Ingestor applies each record once after SIGKILL at random points mid-batch", async () => {
  await using env = await openEnv();
  const written = await writeMixedLog(env.journal, 4000);
  const seed = crypto.getRandomValues(new Uint32Array(1))[0];
  let state = seed;
  const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  console.log(`seed ${seed}`);
  let kills = 0;
  let finished = false;
  const cursors: number[] = [];
  while (kills < KILLS && !finished) {
    // Small batches (7 records) and short passes (3 commits) so kills land mid-pass.
    const child = spawnChild("_child_ingestor.ts", [env.journalDir, env.kvPath, "7", "21"]);
    const lines = readLines(child.stdout);
    const take = (line: string) => {
      if (line.startsWith("done")) finished = true;
      if (line.startsWith("pass")) cursors.push(Number(line.split(" ")[5]));
    };
    // Wait for "ready" and 0–3 passes, then a random 0–25 ms into the next pass.
    const waitLines = 1 + Math.floor(random() * 4);
    for (let i = 0; i < waitLines; i++) {
      const next = await lines.next();
      if (next.done) break;
      take(next.value);
    }
    await new Promise((resolve) => setTimeout(resolve, random() * 25));
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited (it caught up).
    }
    for await (const line of lines) take(line);
    const status = await child.status;
    if (status.signal === "SIGKILL") kills++;
  }
  assert.ok(kills >= 20, `killed ${kills} times before the log was done`);
  for (let i = 1; i < cursors.length; i++) {
    assert.ok(cursors[i] >= cursors[i - 1], "the committed cursor never moves back");
  }
  const before = await env.store.readCursor(env.journal.id);
  assert.ok((before.offset ?? 0) < env.journal.durableOffset, "the kills left work to finish");
  const report = await new Ingestor(env.journal, env.store).runOnce();
  assert.equal(report.caughtUp, true);
  await assertAppliedOnce(env.journal, env.store);
  // Tallies: each voter's latest vote, counted once, across every kill and replay.
  assert.ok(written.tallies.size > 0);
  for (const [target, want] of written.tallies) {
    assertTallyClose(await env.store.tally(target), want, `the tally of ${target}`);
  }
  console.log(`${kills} kills, final pass applied ${report.applied} of ${written.records}`);
});
