import assert from "node:assert/strict";
import { contentHash, serializeVote } from "../../src/records/mod.ts";
import { json, stemedb } from "./_cli.ts";

Deno.test("deno task migrate brings a store of the earlier layout to the current one, and query works after", async () => {
  const dir = await Deno.makeTempDir({ prefix: "stemedb-cli-migrate-" });
  try {
    const assertion = "ab".repeat(32);
    // What the earlier version stored for two votes by one voter: only the payloads.
    const kv = await Deno.openKv(`${dir}/kv.sqlite`);
    for (const [value, timestamp] of [[1, 1], [-1, 2]]) {
      const payload = serializeVote({ assertion, voter: "ann", value, timestamp });
      await kv.set(["V", assertion, await contentHash(payload)], payload);
    }
    kv.close();
    const refused = await stemedb(["query", "votes", assertion, "--data", dir]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /run "deno task migrate"/);
    const migrated = await stemedb(["migrate", "--data", dir, "--json"], { task: true });
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.deepEqual(
      { ...json(migrated), elapsedMs: 0 },
      {
        kv: `${dir}/kv.sqlite`,
        from: 1,
        to: 3,
        migrated: true,
        resumed: false,
        assertions: 1,
        votes: 2,
        moved: 2,
        elapsedMs: 0,
      },
    );
    const again = await stemedb(["migrate", "--data", dir, "--json"]);
    assert.equal(json(again).migrated, false);
    const query = await stemedb(["query", "votes", assertion, "--data", dir, "--json"]);
    assert.equal(query.code, 0, query.stderr);
    const { tally } = json(query);
    assert.deepEqual([tally.count, tally.sum, tally.down], [1, -1, 1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
