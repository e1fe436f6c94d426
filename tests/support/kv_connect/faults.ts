/**
 * Fault plans for the KV Connect test server: which faults to inject, on
 * which operations, how often, drawn from a seeded generator so a failing run
 * replays exactly. Each rule is consulted once per request, in the order the
 * server meets them (latency, stall, 5xx, close, then after applying: lost,
 * cut), so one seed gives one sequence of decisions.
 *
 * @module
 */

/** A KV Connect request kind: the metadata exchange or a data path call. */
export type KvConnectOperation = "metadata" | "snapshot_read" | "atomic_write";

/** The data path operations, where rules apply unless `on` says otherwise. */
export const DATA_PATH: readonly KvConnectOperation[] = ["snapshot_read", "atomic_write"];

/** When a fault fires. */
export interface FaultRule {
  /** Chance per matching request, 0..1. @default 1 */
  rate?: number;
  /** Fires at most this many times, then no more (until `setFaults`). @default Infinity */
  times?: number;
  /** The operations it applies to. @default ["snapshot_read", "atomic_write"] */
  on?: readonly KvConnectOperation[];
}

/** The faults a server injects; every field is optional and off when absent. */
export interface KvConnectFaults {
  /** Seed of the generator that draws every `rate`. @default 1 */
  seed?: number;
  /** Delay the request by `ms` before anything else happens to it. */
  latency?: FaultRule & { ms: number };
  /** Hold the request until `releaseStalls()` or until the client gives up. */
  stall?: FaultRule;
  /** Answer `status` (a 5xx) before applying. */
  error5xx?: FaultRule & {
    /** @default 503 */
    status?: number;
  };
  /**
   * Close before applying: `"stream"` resets the HTTP/2 stream, `"socket"`
   * destroys the connection with every stream on it.
   */
  closeBeforeApply?: FaultRule & {
    /** @default "stream" */
    how?: "stream" | "socket";
  };
  /** Apply, then reset the stream before any answer is sent. */
  lostAfterApply?: FaultRule;
  /**
   * Apply, then send part of the answer: `"reset"` declares the full length,
   * sends half and resets the stream; `"end"` ends the stream cleanly after
   * half, leaving a body that does not decode.
   */
  cutAfterApply?: FaultRule & {
    /** @default "reset" */
    how?: "reset" | "end";
  };
  /**
   * Refuse every request, the metadata exchange included: `"503"` answers
   * 503, `"close"` destroys each connection as it arrives.
   */
  down?: "503" | "close" | false;
}

/** The rule-driven fault kinds, in the order a request meets them. */
export type RuleFault =
  | "latency"
  | "stall"
  | "error5xx"
  | "closeBeforeApply"
  | "lostAfterApply"
  | "cutAfterApply";

/** Every fault kind the server counts. */
export type FaultKind = RuleFault | "down" | "unauthorized";

/** Every fault kind, for building counters. */
export const FAULT_KINDS: readonly FaultKind[] = [
  "latency",
  "stall",
  "error5xx",
  "closeBeforeApply",
  "lostAfterApply",
  "cutAfterApply",
  "down",
  "unauthorized",
];

/** A small seeded generator (mulberry32): uniform in [0, 1), reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The live plan: decides each rule per request and remembers how often each fired. */
export class FaultPlan {
  #faults: KvConnectFaults;
  #random: () => number;
  #fired = new Map<RuleFault, number>();

  constructor(faults: KvConnectFaults = {}) {
    for (const kind of FAULT_KINDS) {
      const rule = (faults as Record<string, unknown>)[kind] as FaultRule | undefined;
      if (typeof rule !== "object" || rule === null) continue;
      const rate = rule.rate ?? 1;
      if (!(rate >= 0 && rate <= 1)) {
        throw new RangeError(`Cannot plan fault "${kind}": rate must be in 0..1, got ${rate}`);
      }
    }
    const ms = faults.latency?.ms;
    if (ms !== undefined && !(ms >= 0)) {
      throw new RangeError(`Cannot plan fault "latency": ms must be >= 0, got ${ms}`);
    }
    const status = faults.error5xx?.status;
    if (status !== undefined && !(status >= 500 && status <= 599)) {
      throw new RangeError(`Cannot plan fault "error5xx": status must be 5xx, got ${status}`);
    }
    this.#faults = faults;
    this.#random = seededRandom(faults.seed ?? 1);
  }

  /** The faults this plan was made from. */
  get faults(): KvConnectFaults {
    return this.#faults;
  }

  /** Whether `kind` fires for this request of `operation`; consumes one draw if the rule applies. */
  fires(kind: RuleFault, operation: KvConnectOperation): boolean {
    const rule = this.#faults[kind];
    if (rule === undefined) return false;
    if (!(rule.on ?? DATA_PATH).includes(operation)) return false;
    const fired = this.#fired.get(kind) ?? 0;
    if (fired >= (rule.times ?? Infinity)) return false;
    if (this.#random() >= (rule.rate ?? 1)) return false;
    this.#fired.set(kind, fired + 1);
    return true;
  }
}
