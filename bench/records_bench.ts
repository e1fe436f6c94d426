/**
 * Records codec benchmark: figures, not timed tests (the exit code is 0
 * whatever the figures are).
 *
 * Over a sample of the generated corpus (`bench/_corpus.ts`), per record:
 *
 * - `serializeAssertion` / `serializeVote` / `serializeEpoch` (validation and
 *   canonical CBOR) against `JSON.stringify` + `TextEncoder.encode` of the
 *   same record values;
 * - `decodeRecord` (strict decoding, canonical-form check, validation) against
 *   `JSON.parse(TextDecoder.decode(…))` of the same records' JSON bytes;
 * - "before": the general cborg path the codec used until issue 15 and keeps
 *   as its test reference (`src/records/reference_codec.ts`: validation,
 *   then cborg's RFC 8949 `encode` of the body map; cborg's strict `decode`,
 *   validation and a re-encoding compared byte for byte), timed in the same
 *   rounds.
 *
 * Each round times every case once over the whole sample, in an order that
 * rotates from round to round; a case's figure is the median over rounds, and
 * its ratio the median of the per-round ratios to its peer (so both sides of a
 * ratio always ran in the same round). Targets (issue 15): serialize ≤ 2×,
 * decode ≤ 3×.
 *
 * ```sh
 * deno run -A bench/records_bench.ts                     # 5,000 subjects, 15 rounds
 * deno run -A bench/records_bench.ts --subjects=20000 --rounds=25
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  decodeRecord,
  type KnowledgeRecord,
  serializeAssertion,
  serializeEpoch,
  serializeVote,
} from "../src/records/mod.ts";
import { referenceDecodeBody, referenceEncode } from "../src/records/reference_codec.ts";
import { validateAssertion, validateEpoch, validateVote } from "../src/records/validate.ts";
import { corpus } from "./_corpus.ts";
import { median } from "./wal_measure.ts";
import { reportTargets, type TargetRow } from "./_targets.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    subjects: { type: "string", default: "5000" },
    rounds: { type: "string", default: "15" },
    seed: { type: "string", default: "1" },
  },
});
const SUBJECTS = Number(flags.subjects);
const ROUNDS = Number(flags.rounds);

/** Issue 15's targets: codec time over JSON time, per direction. */
const TARGET = { serialize: 2, decode: 3 } as const;

const records = [...corpus({ subjects: SUBJECTS, seed: Number(flags.seed) })];
const values = records.map((r) => r.value);
const assertions = records.filter((r) => r.type === "assertion").map((r) => r.value);
const votes = records.filter((r) => r.type === "vote").map((r) => r.value);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The codec's own encoder for a record: the per-type function a caller uses. */
function serialize(record: KnowledgeRecord): Uint8Array {
  switch (record.type) {
    case "assertion":
      return serializeAssertion(record.value);
    case "vote":
      return serializeVote(record.value);
    case "epoch":
      return serializeEpoch(record.value);
  }
}

const payloads = records.map(serialize);
const jsonBytes = values.map((v) => encoder.encode(JSON.stringify(v)));

/** Keeps results observable so the engine cannot drop the work. */
let sink = 0;

interface Case {
  name: string;
  count: number;
  run(): void;
}

interface Pair {
  label: string;
  direction: keyof typeof TARGET;
  codec: Case;
  peer: Case;
  /** The same work through the cborg reference path (the codec before issue 15). */
  before: Case;
}

/** The pre-issue-15 serialization: validation, then cborg's general encoder. */
function serializeBefore(record: KnowledgeRecord): Uint8Array {
  switch (record.type) {
    case "assertion":
      return referenceEncode({ type: "assertion", value: validateAssertion(record.value) });
    case "vote":
      return referenceEncode({ type: "vote", value: validateVote(record.value) });
    case "epoch":
      return referenceEncode({ type: "epoch", value: validateEpoch(record.value) });
  }
}
const assertionRecords = records.filter((r) => r.type === "assertion");
const voteRecords = records.filter((r) => r.type === "vote");
// Header checks are shared code; the "before" decode times the body path it replaced.
const TYPE_NAMES = ["assertion", "vote", "epoch"] as const;

const pairs: Pair[] = [
  {
    label: "serializeAssertion",
    direction: "serialize",
    codec: {
      name: "serializeAssertion",
      count: assertions.length,
      run: () => {
        for (const a of assertions) sink += serializeAssertion(a).length;
      },
    },
    peer: {
      name: "JSON.stringify + encode",
      count: assertions.length,
      run: () => {
        for (const a of assertions) sink += encoder.encode(JSON.stringify(a)).length;
      },
    },
    before: {
      name: "before",
      count: assertionRecords.length,
      run: () => {
        for (const r of assertionRecords) sink += serializeBefore(r).length;
      },
    },
  },
  {
    label: "serializeVote",
    direction: "serialize",
    codec: {
      name: "serializeVote",
      count: votes.length,
      run: () => {
        for (const v of votes) sink += serializeVote(v).length;
      },
    },
    peer: {
      name: "JSON.stringify + encode",
      count: votes.length,
      run: () => {
        for (const v of votes) sink += encoder.encode(JSON.stringify(v)).length;
      },
    },
    before: {
      name: "before",
      count: voteRecords.length,
      run: () => {
        for (const r of voteRecords) sink += serializeBefore(r).length;
      },
    },
  },
  {
    label: "serialize (whole sample)",
    direction: "serialize",
    codec: {
      name: "serializeAssertion/Vote/Epoch",
      count: records.length,
      run: () => {
        for (const r of records) sink += serialize(r).length;
      },
    },
    peer: {
      name: "JSON.stringify + encode",
      count: records.length,
      run: () => {
        for (const v of values) sink += encoder.encode(JSON.stringify(v)).length;
      },
    },
    before: {
      name: "before",
      count: records.length,
      run: () => {
        for (const r of records) sink += serializeBefore(r).length;
      },
    },
  },
  {
    label: "decodeRecord (whole sample)",
    direction: "decode",
    codec: {
      name: "decodeRecord",
      count: payloads.length,
      run: () => {
        for (const p of payloads) sink += decodeRecord(p).type.length;
      },
    },
    peer: {
      name: "JSON.parse(TextDecoder.decode)",
      count: jsonBytes.length,
      run: () => {
        for (const b of jsonBytes) sink += JSON.parse(decoder.decode(b)) === null ? 0 : 1;
      },
    },
    before: {
      name: "before",
      count: payloads.length,
      run: () => {
        for (const p of payloads) sink += referenceDecodeBody(TYPE_NAMES[p[0]], p).type.length;
      },
    },
  },
];

/** µs per record of one run of `c`. */
function time(c: Case): number {
  const start = performance.now();
  c.run();
  return ((performance.now() - start) * 1000) / c.count;
}

const cases = pairs.flatMap((p) => [p.codec, p.peer, p.before]);
// Warm-up: let the JIT settle on every path before timing.
for (const c of cases) time(c);
const samples = new Map<Case, number[]>(cases.map((c) => [c, []]));
const ratios = new Map<Pair, number[]>(pairs.map((p) => [p, []]));
const beforeRatios = new Map<Pair, number[]>(pairs.map((p) => [p, []]));
for (let round = 0; round < ROUNDS; round++) {
  const perRound = new Map<Case, number>();
  for (let i = 0; i < cases.length; i++) {
    const c = cases[(i + round) % cases.length];
    perRound.set(c, time(c));
  }
  for (const [c, us] of perRound) samples.get(c)!.push(us);
  for (const p of pairs) {
    ratios.get(p)!.push(perRound.get(p.codec)! / perRound.get(p.peer)!);
    beforeRatios.get(p)!.push(perRound.get(p.before)! / perRound.get(p.peer)!);
  }
}

const meanBytes = (list: Uint8Array[]) => list.reduce((n, b) => n + b.length, 0) / list.length;
const counts = { assertion: 0, vote: 0, epoch: 0 };
for (const r of records) counts[r.type]++;
console.log(
  `records codec: ${records.length.toLocaleString("en-US")} records from ${
    SUBJECTS.toLocaleString("en-US")
  } subjects ` +
    `(${counts.assertion} assertions, ${counts.vote} votes, ${counts.epoch} epochs); ` +
    `payload ${meanBytes(payloads).toFixed(0)} B, JSON ${
      meanBytes(jsonBytes).toFixed(0)
    } B on average; ` +
    `medians of ${ROUNDS} interleaved rounds after a warm-up`,
);
const rows = pairs.map((p) => {
  const ratio = median(ratios.get(p)!);
  const target = TARGET[p.direction];
  return [
    p.label,
    `${median(samples.get(p.codec)!).toFixed(2)} µs`,
    `${p.peer.name}: ${median(samples.get(p.peer)!).toFixed(2)} µs`,
    `${ratio.toFixed(2)}×`,
    `≤ ${target}× ${ratio <= target ? "PASS" : "FAIL"}`,
    `${median(samples.get(p.before)!).toFixed(2)} µs, ${median(beforeRatios.get(p)!).toFixed(2)}×`,
  ];
});
const head = ["case", "codec / record", "peer / record", "ratio", "target", "before (cborg path)"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
console.log(line(head));
for (const r of rows) console.log(line(r));
if (sink === -1) console.log(sink);

/** Issue 15's rows: `serializeAssertion`, and `decodeRecord` over the whole sample. */
const ISSUE_ROWS: Record<string, { key: string; path: string }> = {
  serializeAssertion: {
    key: "codec-serialize",
    path: "serializeAssertion vs JSON.stringify + encode of the same records",
  },
  "decodeRecord (whole sample)": {
    key: "codec-decode",
    path: "decodeRecord vs JSON.parse of the same records",
  },
};
const targetRows: TargetRow[] = pairs.map((p) => ({
  key: ISSUE_ROWS[p.label]?.key ?? `codec-${p.label}`,
  path: ISSUE_ROWS[p.label]?.path ?? `${p.label} vs ${p.peer.name}`,
  figure: `${median(samples.get(p.codec)!).toFixed(2)} µs a record`,
  peer: `${p.peer.name}: ${median(samples.get(p.peer)!).toFixed(2)} µs`,
  ratio: median(ratios.get(p)!),
  compare: "<=",
  target: TARGET[p.direction],
}));
await reportTargets(targetRows);
