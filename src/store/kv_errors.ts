/**
 * Typed failures of calls to Deno KV, and the one place that tells what kind
 * of failure an error from `Deno.openKv` or a `Deno.Kv` call is.
 *
 * @module
 */

/** Environment variable Deno's remote client reads the access token from. */
export const KV_TOKEN_VARIABLE = "DENO_KV_ACCESS_TOKEN";

/**
 * A call to Deno KV did not settle within its deadline. The call itself may
 * still be running inside Deno's client (it retries without end): a commit
 * abandoned this way can still land later, which the versionstamp check on
 * the cursor makes harmless.
 *
 * @example Tell a deadline from other failures
 * ```ts
 * import { KvTimeoutError } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const error = new KvTimeoutError({ operation: "readCursor", target: "https://kv.example/db", timeoutMs: 50 });
 * assert.equal(error.operation, "readCursor");
 * assert.match(error.message, /readCursor/);
 * ```
 */
export class KvTimeoutError extends Error {
  /** The store operation that timed out: `open`, `commitBatch`, `readCursor`, … */
  readonly operation: string;
  /** The KV it called: a path, or a URL without credentials. */
  readonly target: string;
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;

  /** An error for `operation` on `target` past `timeoutMs`; `last` is the last failure seen, if any. */
  constructor(
    at: { operation: string; target: string; timeoutMs: number; last?: string },
    options?: ErrorOptions,
  ) {
    const last = at.last === undefined ? "" : ` (last failure: ${at.last})`;
    super(
      `Deno KV call "${at.operation}" to "${at.target}" did not succeed within ${at.timeoutMs} ms${last}`,
      options,
    );
    this.name = "KvTimeoutError";
    this.operation = at.operation;
    this.target = at.target;
    this.timeoutMs = at.timeoutMs;
  }
}

/**
 * A remote Deno KV refused the access token (HTTP 401). Retrying cannot
 * help: the token in `DENO_KV_ACCESS_TOKEN` is wrong or missing.
 *
 * @example Read what was refused
 * ```ts
 * import { KvAuthError } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const error = new KvAuthError("https://kv.example/db");
 * assert.equal(error.variable, "DENO_KV_ACCESS_TOKEN");
 * ```
 */
export class KvAuthError extends Error {
  /** The KV URL, without credentials. */
  readonly target: string;
  /** The variable the token is read from. */
  readonly variable: string = KV_TOKEN_VARIABLE;

  /** An error for `target`. */
  constructor(target: string, options?: ErrorOptions) {
    super(
      `Cannot open Deno KV "${target}": access token refused (check ${KV_TOKEN_VARIABLE})`,
      options,
    );
    this.name = "KvAuthError";
    this.target = target;
  }
}

/** What a failed call to Deno KV means for whoever retries it. */
export type KvFailureKind =
  /** Nothing says the KV is wrong for good: a lock, a 5xx, a refused or reset connection, a cut answer. */
  | "transient"
  /** The remote refused the access token. */
  | "unauthorized"
  /** Anything else: bad input, a closed store, a programming error. */
  | "fatal";

// Deno's KV client reports every failure as a plain Error or TypeError with
// no code, so its message is all there is to classify: this is the one
// place that reads it, and turns it into a kind for everyone else.
const UNAUTHORIZED = /status 401\b/;
const TRANSIENT = new RegExp(
  [
    "database is (locked|busy)", // another SQLite connection holds the write lock
    "status 5\\d\\d", // the remote's metadata endpoint is failing
    "failed to connect", // refused, unreachable
    "connection (reset|refused|closed)",
    "http2 error",
    "KV Connect failed", // a data-path answer lost or cut
  ].join("|"),
  "i",
);

/**
 * The kind of a failure of `Deno.openKv` or of a `Deno.Kv` call.
 *
 * @example Classify a locked SQLite file
 * ```ts
 * import { kvFailureKind } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(kvFailureKind(new Error("database is locked")), "transient");
 * assert.equal(kvFailureKind(new RangeError("Cannot commit batch: 1001 mutations")), "fatal");
 * ```
 */
export function kvFailureKind(error: unknown): KvFailureKind {
  if (!(error instanceof Error) || error instanceof RangeError) return "fatal";
  if (UNAUTHORIZED.test(error.message)) return "unauthorized";
  return TRANSIENT.test(error.message) ? "transient" : "fatal";
}

/**
 * How a KV location is named in errors and logs: a path as is, a URL without
 * user info, query or fragment (where a token could hide).
 *
 * @example Name a URL without its secrets
 * ```ts
 * import { kvTarget } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(kvTarget("https://user:pw@kv.example/db?token=x"), "https://kv.example/db");
 * assert.equal(kvTarget("data/kv.sqlite"), "data/kv.sqlite");
 * ```
 */
export function kvTarget(pathOrUrl: string): string {
  if (!/^https?:\/\//i.test(pathOrUrl)) return pathOrUrl;
  try {
    const url = new URL(pathOrUrl);
    return `${url.origin}${url.pathname === "/" ? "" : url.pathname}`;
  } catch {
    return "<invalid URL>";
  }
}
