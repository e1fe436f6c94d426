/**
 * Deno KV and `Deno.cron` are unstable Deno APIs: absent unless the program
 * runs with `--unstable-kv` / `--unstable-cron` or its deno.json lists them
 * under `"unstable"`. Without this check the first call fails with
 * `Deno.openKv is not a function`, which says nothing of the fix.
 *
 * @module
 */

/**
 * An unstable Deno API this package uses: `"kv"` (`Deno.openKv`) or `"cron"` (`Deno.cron`).
 *
 * @example Name the flag of a feature
 * ```ts
 * import type { UnstableFeature } from "@stemedb/ingest/store";
 *
 * const flag = (feature: UnstableFeature) => `--unstable-${feature}`;
 * console.assert(flag("kv") === "--unstable-kv");
 * ```
 */
export type UnstableFeature = "kv" | "cron";

const API: Record<UnstableFeature, string> = { kv: "Deno.openKv", cron: "Deno.cron" };

/**
 * An unstable Deno API this package needs is not enabled; `hint` says how to
 * enable it.
 *
 * @example Tell the user which flag is missing
 * ```ts
 * import assert from "node:assert/strict";
 * import { UnstableApiError } from "@stemedb/ingest/store";
 *
 * const error = new UnstableApiError("cron", "Cannot schedule ingest");
 * assert.equal(error.feature, "cron");
 * assert.match(error.hint, /--unstable-cron/);
 * ```
 */
export class UnstableApiError extends Error {
  /** The API that is missing. */
  readonly feature: UnstableFeature;
  /** What to enable: the flag, or the deno.json setting. */
  readonly hint: string;
  /** Construct the error for `feature`; `action` names what could not be done. */
  constructor(feature: UnstableFeature, action: string) {
    const hint = `Run deno with --unstable-${feature}, or add "unstable": ["kv", "cron"] ` +
      `to your deno.json (@stemedb/ingest needs both)`;
    super(
      `${action}: ${
        API[feature]
      } is not available, Deno's unstable "${feature}" API is off. ${hint}`,
    );
    this.name = "UnstableApiError";
    this.feature = feature;
    this.hint = hint;
  }
}

/**
 * Throw {@linkcode UnstableApiError} unless the unstable API `feature` is enabled.
 *
 * @example Check before opening Deno KV
 * ```ts
 * import { requireUnstable } from "@stemedb/ingest/store";
 *
 * requireUnstable("kv", "Cannot open store"); // the tests run with "unstable": ["kv", "cron"]
 * ```
 */
export function requireUnstable(feature: UnstableFeature, action: string): void {
  const deno = Deno as unknown as Record<string, unknown>;
  const name = feature === "kv" ? "openKv" : "cron";
  if (typeof deno[name] !== "function") throw new UnstableApiError(feature, action);
}
