/**
 * The ingest commit as telemetry sees it: one `ingest.commit` span per
 * commit (records applied, dead letters, cursor end, outcome) and the
 * commit, record, conflict and dead-letter counters. Kept here so the
 * pipeline stays about ordering commits.
 *
 * @module
 */
import type { PlannedCommit } from "../store/mod.ts";
import { endSpan, startChildSpan, telemetry } from "../telemetry/mod.ts";

/** Send one commit through `send`, inside an `ingest.commit` span, and count its outcome. */
export async function commitObserved<R extends { ok: boolean }>(
  planned: PlannedCommit,
  send: () => Promise<R>,
): Promise<R> {
  const span = startChildSpan("ingest.commit", {
    "stemedb.records": planned.applied + planned.deadLettered,
    "stemedb.applied": planned.applied,
    "stemedb.dead_letters": planned.deadLettered,
    "stemedb.cursor": planned.end,
  });
  const started = performance.now();
  try {
    const result = await send();
    const outcome = result.ok ? "committed" : "conflict";
    telemetry.ingestCommitDuration.record(performance.now() - started, { outcome });
    if (result.ok) {
      telemetry.ingestCommits.add(1);
      telemetry.ingestRecords.add(planned.applied);
      telemetry.deadLetters.add(planned.deadLettered);
    } else telemetry.ingestConflicts.add(1);
    endSpan(span, { attributes: { "stemedb.outcome": outcome } });
    return result;
  } catch (error) {
    telemetry.ingestCommitDuration.record(performance.now() - started, { outcome: "error" });
    endSpan(span, { error, attributes: { "stemedb.outcome": "error" } });
    throw error;
  }
}
