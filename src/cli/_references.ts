/**
 * The referential check of `append`: a vote on an assertion neither in the
 * store nor earlier in the input, or a record naming such an epoch, is
 * refused like an invalid line unless `--allow-unknown` is given; an epoch id
 * known with other content is always refused. The store is read, never
 * written: a record appended but not yet ingested is not in it, which is
 * what `--allow-unknown` is for.
 *
 * @module
 */

import { openStore } from "../config/data_dir.ts";
import type { ParsedLine } from "../records/mod.ts";
import type { ReferenceCheck } from "../store/mod.ts";
import type { CommandInput, OptionSpec } from "./_command.ts";

/** The option that turns the unknown-reference checks off. */
export const REFERENCE_OPTIONS: Record<string, OptionSpec> = {
  "allow-unknown": {
    type: "boolean",
    description:
      "Accept votes and epochs that refer to records not in the store nor earlier in the input",
  },
};

/** The check of one `append` run, over the store it opened. */
export interface ReferenceGate extends Disposable {
  /** Why `parsed`'s references are refused, or null (it is then known to later lines). */
  refuse(parsed: ParsedLine): Promise<{ reason: string; field: string } | null>;
  /** `refuse()` of each in turn, the store read once up front for what they name. */
  refuseAll(parsed: readonly ParsedLine[]): Promise<({ reason: string; field: string } | null)[]>;
}

/** Opens the store `input` names and a check over it; dispose to close the store. */
export async function openReferenceGate(input: CommandInput): Promise<ReferenceGate> {
  const store = await openStore(input.config);
  const check: ReferenceCheck = store.referenceCheck({
    allowUnknown: input.values["allow-unknown"] === true,
  });
  const refuseAll = async (parsed: readonly ParsedLine[]) =>
    (await check.checkAll(parsed)).map((problem) =>
      problem === null ? null : { reason: problem.message, field: problem.field }
    );
  return {
    refuseAll,
    async refuse(parsed) {
      return (await refuseAll([parsed]))[0];
    },
    [Symbol.dispose]: () => store.close(),
  };
}
