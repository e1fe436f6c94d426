/**
 * Referential checks for records about to be appended: a vote must name an
 * assertion that is known, a record may name only a known epoch, and an epoch
 * id may not come back with other content. "Known" means in the store
 * (already ingested) or accepted earlier by the same check (earlier in the
 * same request or input). The checks run at the edge, before the journal:
 * the ingestor applies whatever the journal holds and never drops a record
 * for a reference it cannot resolve, because another journal may bring the
 * missing record later.
 *
 * A record appended but not yet ingested is not in the store: a vote that
 * follows its assertion in another request fails the check until the
 * ingestor has applied the assertion. Append the assertion with
 * `?wait=ingested`, or pass `allowUnknown` to accept the vote anyway.
 *
 * @module
 */

import { contentHash, type KnowledgeRecord } from "../records/mod.ts";
import type { KeyLayout } from "./keys.ts";

/**
 * Why a record's references are refused: `unknown_assertion` (a vote's
 * assertion), `unknown_epoch` (an assertion's or a vote's epoch),
 * `epoch_exists` (an epoch id known with other content).
 *
 * @example Map a problem to an HTTP status
 * ```ts
 * import type { ReferenceProblemCode } from "@stemedb/ingest/store";
 * import assert from "node:assert/strict";
 *
 * const status = (code: ReferenceProblemCode) => code === "epoch_exists" ? 409 : 422;
 * assert.equal(status("unknown_assertion"), 422);
 * ```
 */
export type ReferenceProblemCode = "unknown_assertion" | "unknown_epoch" | "epoch_exists";

/**
 * A refused reference: what, in which field, and a message that says so.
 *
 * @example Report a problem
 * ```ts
 * import type { ReferenceProblem } from "@stemedb/ingest/store";
 *
 * const problem: ReferenceProblem = {
 *   code: "unknown_epoch",
 *   field: "epoch",
 *   message: 'Cannot accept assertion: epoch "0a" is unknown',
 * };
 * console.log(`${problem.field}: ${problem.message}`);
 * ```
 */
export interface ReferenceProblem {
  /** What is wrong. */
  code: ReferenceProblemCode;
  /** The record field that holds the reference: `assertion`, `epoch` or `id`. */
  field: string;
  /** Human-readable reason. */
  message: string;
}

/**
 * Options of `KvStore.referenceCheck`.
 *
 * @example Accept votes on assertions not ingested yet
 * ```ts
 * import { KvStore, type ReferenceCheckOptions } from "@stemedb/ingest/store";
 * import { parseRecordLine } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const store = await KvStore.open(":memory:");
 * const options: ReferenceCheckOptions = { allowUnknown: true };
 * const line = parseRecordLine(JSON.stringify({
 *   type: "vote", assertion: "ab".repeat(32), voter: "ann", value: 1, timestamp: 0,
 * }));
 * if (!line.ok) throw new Error(line.reason);
 * assert.equal(await store.referenceCheck(options).check(line.record, line.payload), null);
 * store.close();
 * ```
 */
export interface ReferenceCheckOptions {
  /**
   * Accept references to assertions and epochs that are not known (yet).
   * An epoch id known with other content is refused all the same.
   *
   * @default {false}
   */
  allowUnknown?: boolean;
}

/**
 * Checks the references of a sequence of records, in order, remembering
 * what each accepted record makes known. One check serves one request or
 * one input file: create a new one for the next.
 *
 * @example Accept an assertion and a vote on it in one batch
 * ```ts
 * import { KvStore } from "@stemedb/ingest/store";
 * import { parseRecordLine } from "@stemedb/ingest/records";
 * import assert from "node:assert/strict";
 *
 * const store = await KvStore.open(":memory:");
 * const check = store.referenceCheck();
 * const claim = parseRecordLine(JSON.stringify({
 *   type: "assertion", subject: "earth", predicate: "orbits", object: "sun",
 *   source: "kepler", confidence: 1, timestamp: 0,
 * }));
 * if (!claim.ok) throw new Error(claim.reason);
 * assert.equal(await check.check(claim.record, claim.payload), null);
 * const orphan = parseRecordLine(JSON.stringify({
 *   type: "vote", assertion: "ab".repeat(32), voter: "ann", value: 1, timestamp: 0,
 * }));
 * if (!orphan.ok) throw new Error(orphan.reason);
 * assert.equal((await check.check(orphan.record, orphan.payload))?.code, "unknown_assertion");
 * store.close();
 * ```
 */
export class ReferenceCheck {
  #kv: Deno.Kv;
  #keys: KeyLayout;
  #allowUnknown: boolean;
  /** Assertion hashes known: accepted earlier, or found in the store. */
  #assertions = new Set<string>();
  /** Epoch payloads by id: accepted earlier or read from the store (`null`: not there). */
  #epochs = new Map<string, Uint8Array | null>();

  /** A check against the store `kv` under `keys`. */
  constructor(store: { kv: Deno.Kv; keys: KeyLayout }, options: ReferenceCheckOptions = {}) {
    this.#kv = store.kv;
    this.#keys = store.keys;
    this.#allowUnknown = options.allowUnknown ?? false;
  }

  /**
   * The problem with `record`'s references, or null when they are fine; a
   * record accepted here becomes known to the records checked after it.
   * `payload` is its canonical encoding (an epoch is compared by it).
   */
  async check(record: KnowledgeRecord, payload: Uint8Array): Promise<ReferenceProblem | null> {
    const problem = await this.#problem(record, payload);
    if (problem !== null) return problem;
    if (record.type === "assertion") this.#assertions.add(await contentHash(payload));
    if (record.type === "epoch") this.#epochs.set(record.value.id, payload);
    return null;
  }

  async #problem(record: KnowledgeRecord, payload: Uint8Array): Promise<ReferenceProblem | null> {
    const type = record.type;
    if (type === "epoch") {
      const known = await this.#epoch(record.value.id);
      if (known === null || equalBytes(known, payload)) return null;
      return {
        code: "epoch_exists",
        field: "id",
        message: `Cannot accept epoch "${record.value.id}": an epoch with this id and other ` +
          "content is already known",
      };
    }
    if (this.#allowUnknown) return null;
    if (type === "vote" && !await this.#assertion(record.value.assertion)) {
      return {
        code: "unknown_assertion",
        field: "assertion",
        message: `Cannot accept vote: assertion "${record.value.assertion}" is unknown ` +
          "(not in the store, not earlier in this batch)",
      };
    }
    const epoch = record.value.epoch;
    if (epoch !== undefined && await this.#epoch(epoch) === null) {
      return {
        code: "unknown_epoch",
        field: "epoch",
        message: `Cannot accept ${type}: epoch "${epoch}" is unknown ` +
          "(not in the store, not earlier in this batch)",
      };
    }
    return null;
  }

  async #assertion(hash: string): Promise<boolean> {
    if (this.#assertions.has(hash)) return true;
    const entry = await this.#kv.get(this.#keys.assertion(hash));
    if (entry.versionstamp === null) return false;
    this.#assertions.add(hash);
    return true;
  }

  async #epoch(id: string): Promise<Uint8Array | null> {
    const cached = this.#epochs.get(id);
    if (cached !== undefined) return cached;
    const entry = await this.#kv.get<Uint8Array>(this.#keys.epoch(id));
    const payload = entry.value instanceof Uint8Array ? entry.value : null;
    this.#epochs.set(id, payload);
    return payload;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
