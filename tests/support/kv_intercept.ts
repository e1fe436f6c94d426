/**
 * A view of a Deno KV whose atomic operations a test (or a benchmark) can
 * watch and steer: see each mutation call, and wrap each commit. Everything
 * else goes to the KV unchanged. For the tests that count what was
 * committed, fail a commit's answer, or record commits to replay them.
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
