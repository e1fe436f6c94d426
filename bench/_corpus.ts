/**
 * A generated, realistic corpus of knowledge records for benchmarks: about
 * 100,000 subjects by default, a Zipf-like number of assertions per subject
 * (most subjects have one or two, a few have hundreds), strings of natural
 * lengths (short predicates from a small vocabulary, subjects and objects
 * whose lengths follow a log-normal law, a tail of long descriptions, a share
 * of non-ASCII text), a share of numeric, boolean and reference objects,
 * votes on earlier assertions and a few epochs.
 *
 * The corpus is deterministic for a given seed. Hashes (vote targets and
 * reference objects) are well-formed 64-hex strings drawn from the same
 * generator, not digests of corpus records: a codec or store benchmark needs
 * their shape, not their provenance, and hashing would tie the corpus to the
 * code under test.
 *
 * ```ts
 * import { corpus } from "./_corpus.ts";
 * const sample = [...corpus({ subjects: 2_000 })];
 * ```
 *
 * @module
 */

import type { Assertion, Epoch, KnowledgeRecord, Vote } from "../src/records/mod.ts";

/** Options of {@linkcode corpus}. */
export interface CorpusOptions {
  /**
   * Number of distinct subjects; the corpus holds about three assertions per
   * subject, plus votes and epochs.
   * @default {100_000}
   */
  subjects?: number;
  /**
   * Seed of the pseudo-random generator: equal seeds give equal corpora.
   * @default {1}
   */
  seed?: number;
  /**
   * Votes per assertion on average (each vote targets a recent assertion).
   * @default {0.3}
   */
  votesPerAssertion?: number;
  /**
   * Share of assertions whose object is a reference to another assertion.
   * @default {0.1}
   */
  referenceShare?: number;
}

/** Largest number of assertions one subject gets. */
const MAX_PER_SUBJECT = 2_000;
/** Exponent of the Zipf-like law of assertions per subject (mean about 3). */
const ZIPF_ALPHA = 1.5;
/** Subjects between two epochs. */
const SUBJECTS_PER_EPOCH = 1_000;
/** First timestamp: mid-November 2023, in milliseconds. */
const START_MS = 1_700_000_000_000;

const SYLLABLES = [
  "ka",
  "lo",
  "mi",
  "ne",
  "sa",
  "tor",
  "vel",
  "dri",
  "an",
  "is",
  "ur",
  "om",
  "pel",
  "qua",
  "ren",
  "sto",
  "bri",
  "gan",
  "hul",
  "jen",
  "mar",
  "zel",
  "fo",
  "chi",
  "de",
  "ly",
  "wen",
  "xi",
  "yo",
  "ba",
]; // deno-fmt-ignore
/** Non-ASCII fragments: Latin accents, Greek, Cyrillic, CJK, an emoji (surrogate pair in UTF-16). */
const NON_ASCII = ["é", "ü", "ñ", "ø", "λ", "Ж", "東京", "データ", "ß", "ç", "🌍", "ł"];

/** Mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The record generator state: one PRNG, the vocabularies drawn from it. */
class Draw {
  readonly #random: () => number;
  readonly predicates: string[];
  readonly sources: string[];
  readonly voters: string[];
  readonly tags: string[];

  constructor(seed: number) {
    this.#random = prng(seed);
    this.predicates = Array.from({ length: 300 }, () => this.words(1, 3, "_"));
    this.sources = Array.from(
      { length: 2_000 },
      () => `https://${this.words(1, 2, "")}.org/${this.words(1, 4, "/")}`,
    );
    this.voters = Array.from({ length: 5_000 }, () => `user:${this.words(1, 2, ".")}`);
    this.tags = Array.from({ length: 500 }, () => this.words(1, 2, "-"));
  }

  /** Uniform in [0, 1). */
  unit(): number {
    return this.#random();
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.#random() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#random() * items.length)];
  }

  /** A log-normal length with median `median`, clamped to [min, max]. */
  length(median: number, spread: number, min: number, max: number): number {
    // Box–Muller: one standard normal deviate.
    const z = Math.sqrt(-2 * Math.log(1 - this.#random())) * Math.cos(2 * Math.PI * this.#random());
    return Math.max(min, Math.min(max, Math.round(median * Math.exp(spread * z))));
  }

  /** A pseudo-word of 1 to 4 syllables, non-ASCII in about 1 word in 12. */
  word(): string {
    let w = "";
    for (let n = this.int(1, 4); n > 0; n--) w += this.pick(SYLLABLES);
    return this.#random() < 1 / 12 ? w + this.pick(NON_ASCII) : w;
  }

  words(min: number, max: number, separator: string): string {
    const parts: string[] = [];
    for (let n = this.int(min, max); n > 0; n--) parts.push(this.word());
    return parts.join(separator);
  }

  /** Text of about `chars` UTF-16 code units, made of words. */
  prose(chars: number): string {
    let out = this.word();
    while (out.length < chars) out += " " + this.word();
    // Never cut inside a surrogate pair: the text must stay well-formed.
    const cut = out.slice(0, Math.max(1, chars));
    return cut.isWellFormed() ? cut : cut.slice(0, -1);
  }

  hex(bytes: number): string {
    let out = "";
    for (let i = 0; i < bytes; i++) out += this.int(0, 255).toString(16).padStart(2, "0");
    return out;
  }

  /** Assertions for one subject under the Zipf-like law: P(n ≥ k) ≈ k^-α. */
  assertionCount(): number {
    return Math.min(MAX_PER_SUBJECT, Math.floor((1 - this.#random()) ** (-1 / ZIPF_ALPHA)));
  }
}

function subjectName(draw: Draw, index: number): string {
  const name = draw.prose(draw.length(18, 0.5, 3, 200)).trim() || "x";
  return draw.unit() < 0.3 ? `Q${index}` : `${name} (${index})`;
}

function objectOf(draw: Draw, referenceShare: number): Assertion["object"] {
  const r = draw.unit();
  if (r < referenceShare) return { ref: draw.hex(32) };
  if (r < referenceShare + 0.15) return draw.int(-1_000, 1_000_000);
  if (r < referenceShare + 0.22) return Math.round(draw.unit() * 1e6) / 100; // a measured value
  if (r < referenceShare + 0.27) return draw.unit() < 0.5;
  // Text: mostly short values, a tail of long descriptions.
  const chars = draw.unit() < 0.05
    ? draw.length(600, 0.6, 100, 4_000)
    : draw.length(16, 0.8, 1, 300);
  return draw.prose(chars);
}

function confidenceOf(draw: Draw): number {
  const r = draw.unit();
  if (r < 0.4) return 1;
  if (r < 0.7) return draw.pick([0.5, 0.75, 0.9, 0.95, 0.99]);
  return draw.unit(); // an arbitrary double: a 64-bit float on the wire
}

/**
 * Yields the corpus: for each subject its assertions, votes on recent
 * assertions interleaved as they come, and an epoch every 1,000 subjects.
 *
 * @example A small sample
 * ```ts
 * const records = [...corpus({ subjects: 100 })];
 * ```
 */
export function* corpus(options: CorpusOptions = {}): Generator<KnowledgeRecord> {
  const subjects = options.subjects ?? 100_000;
  const votesPerAssertion = options.votesPerAssertion ?? 0.3;
  const referenceShare = options.referenceShare ?? 0.1;
  const draw = new Draw(options.seed ?? 1);
  let time = START_MS;
  let epoch: string | undefined;
  /** Stand-ins for the hashes of the last 64 assertions, for votes to target. */
  const recent: string[] = [];
  let assertions = 0;
  for (let s = 0; s < subjects; s++) {
    if (s % SUBJECTS_PER_EPOCH === 0) {
      const value: Epoch = {
        id: draw.hex(16),
        name: `epoch ${s / SUBJECTS_PER_EPOCH}`,
        description: draw.prose(draw.length(40, 0.7, 0, 400)),
        startTime: time,
      };
      if (epoch !== undefined) value.parent = epoch;
      epoch = value.id;
      yield { type: "epoch", value };
    }
    const subject = subjectName(draw, s);
    for (let n = draw.assertionCount(); n > 0; n--) {
      time += draw.int(1, 2_000);
      const value: Assertion = {
        subject,
        predicate: draw.pick(draw.predicates),
        object: objectOf(draw, referenceShare),
        source: draw.pick(draw.sources),
        confidence: confidenceOf(draw),
        timestamp: time,
      };
      if (draw.unit() < 0.3) value.epoch = epoch;
      if (draw.unit() < 0.4) {
        value.tags = [
          ...new Set(Array.from({ length: draw.int(1, 5) }, () => draw.pick(draw.tags))),
        ];
      }
      yield { type: "assertion", value };
      recent[assertions++ % 64] = draw.hex(32);
      for (let v = votesPerAssertion; v > 0 && draw.unit() < v; v--) {
        const vote: Vote = {
          assertion: draw.pick(recent),
          voter: draw.pick(draw.voters),
          value: draw.unit() < 0.85
            ? draw.pick([1, -1])
            : Math.round(draw.unit() * 200 - 100) / 100,
          timestamp: time + draw.int(0, 1_000),
        };
        if (draw.unit() < 0.2) vote.epoch = epoch;
        if (draw.unit() < 0.3) vote.reason = draw.prose(draw.length(30, 0.7, 1, 500));
        yield { type: "vote", value: vote };
      }
    }
  }
}
