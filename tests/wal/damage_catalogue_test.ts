// The damage catalogue of docs/FORMAT.md 1.7: each damage to a small journal
// (three sealed segments and an active one, closed cleanly), under every
// recovery mode, against the mode table's outcome and for a sound log after.
// A bounded sample of positions runs by default; STEMEDB_EXHAUSTIVE=1 runs
// every position (see .ci/run).
import {
  boundaryAtOrBelow,
  build,
  type Built,
  type Case,
  except,
  EXHAUSTIVE,
  flipAt,
  HEAD_FILE,
  META_FILE,
  MODES,
  pathOf,
  runCase,
  upTo,
} from "./_catalogue.ts";
import { setHead, withTempDir } from "./_util.ts";

/** Every position in `[from, to)`, or (bounded) the first and last few and every `stride`-th. */
function positions(from: number, to: number, stride: number): number[] {
  const all = Array.from({ length: to - from }, (_, i) => from + i);
  if (EXHAUSTIVE) return all;
  return all.filter((p) => p - from < 3 || to - p <= 3 || (p - from) % stride === 0);
}

function catalogue(name: string, cases: (b: Built) => Case[]) {
  Deno.test(name, async () => {
    await withTempDir(async (dir) => {
      const b = await build(dir);
      const all = cases(b);
      for (const c of all) await runCase(b, c);
      console.log(
        `  ${all.length} damages × ${MODES.length} modes = ${all.length * MODES.length} outcomes`,
      );
    });
  });
}

catalogue("Journal.open() after a cut anywhere in the last segment, below the durable end", (b) => {
  const active = b.segments[3];
  return positions(0, active.end - active.base, 7).map((cut): Case => {
    const at = active.base + cut;
    const whole = boundaryAtOrBelow(b, at);
    return {
      name: `cut at ${at}`,
      damage: () => Deno.truncate(pathOf(b, active.name), cut),
      expect: (mode) => {
        if (mode === "tolerate-torn-tail" || mode === "absolute") {
          return { refuse: { file: pathOf(b, active.name), offset: at, reason: "missing bytes" } };
        }
        if (mode === "point-in-time") {
          return { end: whole, readable: upTo(b, whole), events: [["dropped", whole]] };
        }
        return {
          end: at,
          readable: upTo(b, whole),
          events: whole === at ? [["missing", at]] : [["skipped", whole], ["missing", at]],
        };
      },
    };
  });
});

catalogue("Journal.open() after a cut anywhere in the last segment, durable end lost", (b) => {
  const active = b.segments[3];
  return positions(0, active.end - active.base, 7).map((cut): Case => {
    const at = active.base + cut;
    const whole = boundaryAtOrBelow(b, at);
    return {
      name: `cut at ${at}, no durable file`,
      damage: async () => {
        await Deno.truncate(pathOf(b, active.name), cut);
        await setHead(b.dir, null);
      },
      expect: (mode) => {
        if (whole === at) return { end: at, readable: upTo(b, at), events: [] };
        if (mode === "absolute") return { refuse: { file: pathOf(b, active.name), offset: whole } };
        return { end: whole, readable: upTo(b, whole), events: [["truncated", whole]] };
      },
    };
  });
});

catalogue(
  "Journal.open() after a flipped byte in the active segment's acknowledged records",
  (b) => {
    const active = b.segments[3];
    const victims = active.records.slice(-2).map((i) => b.records[i]);
    return victims.flatMap((v) =>
      positions(v.offset, v.next, 5).map((at): Case => ({
        name: `flip at ${at} of the record at ${v.offset}`,
        damage: () => flipAt(b, at),
        expect: (mode) => {
          if (mode === "tolerate-torn-tail" || mode === "absolute") {
            return { refuse: { file: pathOf(b, active.name), offset: v.offset } };
          }
          if (mode === "point-in-time") {
            return { end: v.offset, readable: upTo(b, v.offset), events: [["dropped", v.offset]] };
          }
          return {
            end: b.end,
            readable: except(b, v.offset, v.next),
            events: [["skipped", v.offset]],
          };
        },
      }))
    );
  },
);

catalogue('Journal.open({ verify: "full" }) after a flipped byte in a sealed segment', (b) => {
  const sealed = b.segments[1];
  return sealed.records.flatMap((i) => {
    const v = b.records[i];
    return positions(v.offset, v.next, EXHAUSTIVE ? 1 : 23).map((at): Case => ({
      name: `flip at ${at} of the sealed record at ${v.offset}`,
      verify: "full",
      damage: () => flipAt(b, at),
      expect: (mode) => {
        if (mode === "tolerate-torn-tail" || mode === "absolute") {
          return { refuse: { file: pathOf(b, sealed.name), offset: v.offset } };
        }
        if (mode === "point-in-time") {
          return {
            end: v.offset,
            readable: upTo(b, v.offset),
            events: [["dropped", v.offset], ["dropped", b.segments[3].base], [
              "dropped",
              b.segments[2].base,
            ]],
          };
        }
        return {
          end: b.end,
          readable: except(b, v.offset, v.next),
          events: [["skipped", v.offset]],
        };
      },
    }));
  });
});

catalogue(
  "Journal.open() leaves a flipped byte in a sealed segment to readers, who name it",
  (b) => {
    const sealed = b.segments[1];
    return sealed.records.flatMap((i) => {
      const v = b.records[i];
      return positions(v.offset, v.next, EXHAUSTIVE ? 1 : 29).map((at): Case => ({
        name: `flip at ${at} of the sealed record at ${v.offset}, tail verification`,
        damage: () => flipAt(b, at),
        expect: (mode) => ({
          end: b.end,
          readable: except(b, v.offset, v.next),
          events: [],
          readerThrows: mode === "skip-corrupt"
            ? undefined
            : { file: pathOf(b, sealed.name), offset: v.offset },
        }),
      }));
    });
  },
);

catalogue("Journal.open() after a sealed segment goes missing or is renamed", (b) => {
  const [s0, s1, s2, s3] = b.segments;
  const renamed = (s: typeof s1) => `${String(s.base + 1).padStart(20, "0")}.wal`;
  const rename = (s: typeof s1) => () => Deno.rename(pathOf(b, s.name), pathOf(b, renamed(s)));
  return [
    {
      name: "the second segment removed",
      damage: () => Deno.remove(pathOf(b, s1.name)),
      expect: (mode) => {
        if (mode === "tolerate-torn-tail" || mode === "absolute") {
          return {
            refuse: { file: pathOf(b, s0.name), offset: s0.end, reason: "missing segment" },
          };
        }
        if (mode === "point-in-time") {
          return {
            end: s0.end,
            readable: upTo(b, s0.end),
            events: [["dropped", s0.end], ["dropped", s3.base], ["dropped", s2.base]],
          };
        }
        return { end: b.end, readable: except(b, s1.base, s1.end), events: [["missing", s0.end]] };
      },
    },
    {
      name: "the second segment renamed to its base + 1",
      damage: rename(s1),
      expect: (mode) => {
        const file = pathOf(b, renamed(s1));
        if (mode === "tolerate-torn-tail" || mode === "absolute") {
          return { refuse: { file, offset: s1.base + 1, reason: "misplaced segment" } };
        }
        if (mode === "point-in-time") {
          return {
            end: s0.end,
            readable: upTo(b, s0.end),
            events: [["dropped", s0.end], ["dropped", s3.base], ["dropped", s2.base], [
              "dropped",
              s1.base + 1,
            ]],
          };
        }
        return {
          end: b.end,
          readable: except(b, s1.base, s1.end),
          events: [["skipped", s1.base + 1], ["missing", s0.end]],
        };
      },
    },
    {
      name: "the active segment renamed to its base + 1",
      damage: rename(s3),
      expect: (mode) => {
        const file = pathOf(b, renamed(s3));
        if (mode === "point-in-time") {
          return {
            end: s2.end,
            readable: upTo(b, s2.end),
            events: [["dropped", s2.end], ["dropped", s3.base + 1]],
          };
        }
        return { refuse: { file, offset: s3.base + 1, reason: "misplaced segment" } };
      },
    },
  ];
});

catalogue("Journal.open() after damage to the durable file or journal.json", (b) => {
  const active = b.segments[3];
  const intact = () => ({ end: b.end, readable: upTo(b, b.end), events: [] });
  const head = (offset: number | null) => () => setHead(b.dir, offset);
  const cases: Case[] = [
    { name: "no durable file", damage: head(null), expect: intact },
    {
      name: "a garbled durable file",
      damage: async () => {
        const bytes = await Deno.readFile(pathOf(b, HEAD_FILE));
        bytes[5] ^= 0x10;
        await Deno.writeFile(pathOf(b, HEAD_FILE), bytes);
      },
      expect: intact,
    },
    {
      name: "a durable end below the active segment",
      damage: head(active.base - 7),
      expect: intact,
    },
  ];
  for (const i of active.records) {
    const r = b.records[i];
    cases.push({
      name: `a durable end inside the record at ${r.offset}`,
      damage: head(r.offset + 17),
      expect: intact,
    });
  }
  for (const [name, text] of [["garbled", "{garbage"], ["missing", null]] as const) {
    cases.push({
      name: `${name} journal.json`,
      damage: () =>
        text === null
          ? Deno.remove(pathOf(b, META_FILE))
          : Deno.writeTextFile(pathOf(b, META_FILE), text),
      expect: () => ({ refuse: { file: pathOf(b, META_FILE), offset: 0, reason: "bad metadata" } }),
    });
  }
  return cases;
});
