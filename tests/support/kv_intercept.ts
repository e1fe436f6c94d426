/**
 * A view of a Deno KV whose atomic operations a test (or a benchmark) can
 * watch and steer: see each mutation call, and wrap each commit. Everything
 * else goes to the KV unchanged. For the tests that count what was
 * committed, fail a commit's answer, or record commits to replay them; and
 * hold or fail chosen reads, to watch what waits for them.
 *
 * @module
 */

/** What a commit returns. */
export type CommitOutcome = Deno.KvCommitResult | Deno.KvCommitError;

/** Hooks of {@linkcode interceptAtomic}, with `S` the state of one atomic operation. */
export interface AtomicHooks<S> {
  /** The state of a new atomic operation. */
  start(): S;
  /** Told each call of the operation's methods (`set`, `mutate`, `check`, …), before it runs. */
  onCall?(state: S, method: string | symbol, args: unknown[]): void;
  /** Runs the commit; `commit` commits the operation (and may be called more than once). */
  commit?(state: S, commit: () => Promise<CommitOutcome>): Promise<CommitOutcome>;
}

/** `kv`, with every atomic operation it starts passed through `hooks`. */
export function interceptAtomic<S>(kv: Deno.Kv, hooks: AtomicHooks<S>): Deno.Kv {
  const atomic = () => {
    const op = kv.atomic();
    const state = hooks.start();
    const proxy: Deno.AtomicOperation = new Proxy(op, {
      get(o, p) {
        if (p === "commit") {
          const commit = () => o.commit();
          return () => hooks.commit?.(state, commit) ?? commit();
        }
        const v = Reflect.get(o, p, o);
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          hooks.onCall?.(state, p, args);
          const r = v.apply(o, args);
          return r === o ? proxy : r;
        };
      },
    });
    return proxy;
  };
  return new Proxy(kv, {
    get(target, prop) {
      if (prop === "atomic") return atomic;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** A view of a KV whose chosen reads wait for `release()`; see {@linkcode holdReads}. */
export interface HeldReads {
  /** The KV, its matching `getMany` calls held. */
  view: Deno.Kv;
  /** Matching reads so far, failed ones included. */
  readonly reads: number;
  /** Let every held read, and every later one, through. */
  release(): void;
  /** Fail the next matching read instead of holding it. */
  failNext(): void;
}

/** `kv`, with each `getMany` whose keys `match` held until `release()` (or failed once). */
export function holdReads(kv: Deno.Kv, match: (keys: Deno.KvKey[]) => boolean): HeldReads {
  const open = Promise.withResolvers<void>();
  let fail = false;
  let reads = 0;
  const getMany = async (
    keys: Deno.KvKey[],
    options?: { consistency?: Deno.KvConsistencyLevel },
  ) => {
    if (match(keys)) {
      reads++;
      if (fail) {
        fail = false;
        throw new Error("Cannot read (held reads): failed on purpose");
      }
      await open.promise;
    }
    return kv.getMany(keys, options);
  };
  const view = new Proxy(kv, {
    get(target, prop) {
      if (prop === "getMany") return getMany;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return {
    view,
    get reads() {
      return reads;
    },
    release: () => open.resolve(),
    failNext: () => {
      fail = true;
    },
  };
}
