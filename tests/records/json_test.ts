import assert from "node:assert/strict";
import { parseRecordJson, recordToJson, RecordValidationError } from "../../src/records/mod.ts";

const HASH = "cd".repeat(32);

Deno.test("parseRecordJson() reads each record type from its flat JSON form", () => {
  assert.deepEqual(
    parseRecordJson({
      type: "assertion",
      subject: "s",
      predicate: "p",
      object: { ref: HASH },
      source: "src",
      confidence: 1,
      timestamp: 3,
      tags: ["a"],
    }),
    {
      type: "assertion",
      value: {
        subject: "s",
        predicate: "p",
        object: { ref: HASH },
        source: "src",
        confidence: 1,
        timestamp: 3,
        tags: ["a"],
      },
    },
  );
  assert.equal(
    parseRecordJson({ type: "vote", assertion: HASH, voter: "v", value: 0, timestamp: 0 }).type,
    "vote",
  );
  assert.equal(
    parseRecordJson({ type: "epoch", id: "0a", name: "n", description: "", startTime: 0 }).type,
    "epoch",
  );
});

Deno.test("parseRecordJson() names the offending field", () => {
  const cases: [unknown, string, string][] = [
    [{ type: "vote", assertion: HASH, voter: "v", value: 2, timestamp: 0 }, "value", "vote"],
    [{ type: "epoch", id: "0a", name: "n", description: "", startTime: "x" }, "startTime", "epoch"],
    [{ type: "epoch", id: "0a", name: "n", description: "", startTime: 0, x: 1 }, "x", "epoch"],
    [{ subject: "s" }, "type", "record"],
    [{ type: "poll" }, "type", "record"],
    ["assertion", "(record)", "record"],
    [[], "(record)", "record"],
  ];
  for (const [input, field, recordType] of cases) {
    assert.throws(() => parseRecordJson(input), (e: unknown) => {
      assert.ok(e instanceof RecordValidationError);
      assert.equal(e.field, field);
      assert.equal(e.recordType, recordType);
      return true;
    });
  }
});

Deno.test("parseRecordJson() treats JSON null as a wrong value, not as absent", () => {
  assert.throws(
    () =>
      parseRecordJson({
        type: "vote",
        assertion: HASH,
        voter: "v",
        value: 1,
        timestamp: 0,
        epoch: null,
      }),
    /field "epoch"/,
  );
});

Deno.test("recordToJson() is the inverse of parseRecordJson() and leaves out absent fields", () => {
  const json = { type: "epoch", id: "0a", name: "n", description: "d", startTime: 5 };
  assert.deepEqual(recordToJson(parseRecordJson(json)), json);
  const round = JSON.parse(JSON.stringify(recordToJson(parseRecordJson(json))));
  assert.deepEqual(round, json);
});

Deno.test("recordToJson() copies nested values instead of sharing them", () => {
  const record = parseRecordJson({
    type: "assertion",
    subject: "s",
    predicate: "p",
    object: { ref: HASH },
    source: "src",
    confidence: 1,
    timestamp: 3,
    tags: ["a"],
  });
  const json = recordToJson(record);
  (json.tags as string[]).push("b");
  assert.deepEqual(record.type === "assertion" && record.value.tags, ["a"]);
});
