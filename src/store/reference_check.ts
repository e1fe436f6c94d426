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
import { withDeadline } from "./deadline.ts";
import type { KeyLayout } from "./keys.ts";
import { getManyChunked } from "./_get_many.ts";

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
 * One record to check, with its canonical encoding.
 *
 * @example Check a parsed line
 * ```ts
 * import type { CheckedRecord } from "@stemedb/ingest/store";
 * import { parseRecordLine } from "@stemedb/ingest/records";
 *
 * const line = parseRecordLine(
 *   JSON.stringify({ type: "epoch", id: "0a", name: "a", description: "", startTime: 0 }),
 * );
 * if (!line.ok) throw new Error(line.reason);
 * const item: CheckedRecord = { record: line.record, payload: line.payload };
 * console.log(item.record.type); // epoch
 * ```
 */
export interface CheckedRecord {
  /** The record. */
  record: KnowledgeRecord;
  /** Its canonical encoding (an epoch is compared by it). */
  payload: Uint8Array;
}

/** Where a check reads: the store's KV and layout, and the deadline of each read. */
export interface ReferenceCheckStore {
  /** The KV. */
  kv: Deno.Kv;
  /** The store's key layout. */
  keys: KeyLayout;
  /**
   * The deadline of each read, and the KV as errors name it.
   *
   * @default {undefined} (no deadline)
   */
  deadline?: { target: string; timeoutMs: number };
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
  #store: ReferenceCheckStore;
  #allowUnknown: boolean;
  /** Assertion hashes known: accepted earlier, or found in the store. */
  #assertions = new Set<string>();
  /** Assertion hashes read and not found in the store (until accepted here). */
  #absent = new Set<string>();
  /** Epoch payloads by id: accepted earlier or read from the store (`null`: not there). */
  #epochs = new Map<string, Uint8Array | null>();

  /** A check against the store `store.kv` under `store.keys`. */
  constructor(store: ReferenceCheckStore, options: ReferenceCheckOptions = {}) {
    this.#store = store;
    this.#allowUnknown = options.allowUnknown ?? false;
  }

  /**
   * The problem with `record`'s references, or null when they are fine; a
   * record accepted here becomes known to the records checked after it.
   * `payload` is its canonical encoding (an epoch is compared by it).
   */
  async check(record: KnowledgeRecord, payload: Uint8Array): Promise<ReferenceProblem | null> {
    return (await this.checkAll([{ record, payload }]))[0];
  }

  /**
   * `check()` of each record in turn, with the store read up front: every
   * assertion and epoch the records name that is neither known yet nor
   * brought earlier in `records`, once each, `MAX_GET_MANY` keys a read.
   *
   * @example Check a batch with one read
   * ```ts
   * import { KvStore } from "@stemedb/ingest/store";
   * import { parseRecordLine } from "@stemedb/ingest/records";
   * import assert from "node:assert/strict";
   *
   * const store = await KvStore.open(":memory:");
   * const lines = [
   *   { type: "vote", assertion: "ab".repeat(32), voter: "ann", value: 1, timestamp: 0 },
   *   { type: "vote", assertion: "ab".repeat(32), voter: "bob", value: 1, timestamp: 0 },
   * ].map((v) => parseRecordLine(JSON.stringify(v)));
   * const items = lines.map((l) => {
   *   if (!l.ok) throw new Error(l.reason);
   *   return { record: l.record, payload: l.payload };
   * });
   * const problems = await store.referenceCheck().checkAll(items);
   * assert.deepEqual(problems.map((p) => p?.code), ["unknown_assertion", "unknown_assertion"]);
   * store.close();
   * ```
   */
  async checkAll(records: readonly CheckedRecord[]): Promise<(ReferenceProblem | null)[]> {
    // An assertion's hash is what later votes of the batch name; with unknown
    // references allowed nothing asks for it, so it is not computed.
    const hashes = this.#allowUnknown ? records.map(() => null) : await Promise.all(
      records.map((r) => r.record.type === "assertion" ? contentHash(r.payload) : null),
    );
    await this.#readAhead(records, hashes);
    const out: (ReferenceProblem | null)[] = [];
    for (const [i, { record, payload }] of records.entries()) {
      // Only an epoch's own id is checked when unknown references are
      // allowed: the other records settle without a promise each.
      const problem = this.#allowUnknown && record.type !== "epoch"
        ? null
        : await this.#problem(record, payload);
      out.push(problem);
      if (problem !== null) continue;
      const hash = hashes[i];
      if (hash !== null) {
        this.#assertions.add(hash);
        this.#absent.delete(hash);
      }
      if (record.type === "epoch") this.#epochs.set(record.value.id, payload);
    }
    return out;
  }

  /**
   * Reads what `records` will ask of the store: the references that are
   * neither known nor brought by a record earlier in the batch. One that
   * such a record fails to make known (it is refused) is read when asked.
   */
  async #readAhead(records: readonly CheckedRecord[], hashes: (string | null)[]): Promise<void> {
    const brought = new Set<string>();
    const broughtEpochs = new Set<string>();
    const assertions = new Set<string>();
    const epochs = new Set<string>();
    const wantEpoch = (id: string) => {
      if (!broughtEpochs.has(id) && !this.#epochs.has(id)) epochs.add(id);
    };
    for (const [i, { record }] of records.entries()) {
      if (record.type === "epoch") {
        wantEpoch(record.value.id);
        broughtEpochs.add(record.value.id);
        continue;
      }
      if (this.#allowUnknown) continue;
      if (record.type === "vote") {
        const a = record.value.assertion;
        if (!brought.has(a) && !this.#assertions.has(a) && !this.#absent.has(a)) assertions.add(a);
      } else {
        brought.add(hashes[i]!);
      }
      if (record.value.epoch !== undefined) wantEpoch(record.value.epoch);
    }
    const keys = this.#store.keys;
    const [found, payloads] = await Promise.all([
      this.#getMany([...assertions].map((h) => keys.assertion(h))),
      this.#getMany([...epochs].map((id) => keys.epoch(id))),
    ]);
    [...assertions].forEach((h, i) => {
      if (found[i].versionstamp === null) this.#absent.add(h);
      else this.#assertions.add(h);
    });
    [...epochs].forEach((id, i) => {
      const value = payloads[i].value;
      this.#epochs.set(id, value instanceof Uint8Array ? value : null);
    });
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
    if (this.#absent.has(hash)) return false;
    const [entry] = await this.#getMany([this.#store.keys.assertion(hash)]);
    if (entry.versionstamp === null) {
      this.#absent.add(hash);
      return false;
    }
    this.#assertions.add(hash);
    return true;
  }

  async #epoch(id: string): Promise<Uint8Array | null> {
    const cached = this.#epochs.get(id);
    if (cached !== undefined) return cached;
    const [entry] = await this.#getMany([this.#store.keys.epoch(id)]);
    const payload = entry.value instanceof Uint8Array ? entry.value : null;
    this.#epochs.set(id, payload);
    return payload;
  }

  /** `getMany` of `keys`, `MAX_GET_MANY` at a time, each read within the deadline. */
  async #getMany(keys: Deno.KvKey[]): Promise<Deno.KvEntryMaybe<unknown>[]> {
    const { kv, deadline } = this.#store;
    return await getManyChunked(keys, (chunk) => {
      const call = () => kv.getMany(chunk);
      return deadline === undefined
        ? call()
        : withDeadline(call, { operation: "referenceCheck", ...deadline });
    });
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
