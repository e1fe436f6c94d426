/**
 * Recovery on open, second half: `planRecovery()` turns a Classification into
 * what the recovery mode does about it (a pure decision, docs/FORMAT.md 1.7),
 * and `applyRecovery()` does it.
 *
 * @module
 */
import { CorruptJournalError } from "./errors.ts";
import type { FileLayer } from "./file_layer.ts";
import type { RecoveryEvent, RecoveryMode } from "./options.ts";
import type { Classification } from "./recovery.ts";
import { segmentName } from "./segment_name.ts";

/** What recovery does: at most one truncation, then deletions, then the events. */
export interface RecoveryPlan {
  /** Segment file to cut, and the size to cut it to. */
  truncate: { path: string; size: number } | null;
  /** Segment files to delete (point-in-time), newest first. */
  remove: string[];
  /** Segment bases left, ascending. */
  bases: number[];
  /** Size of the last segment afterwards. */
  lastSize: number;
  /** End of the journal afterwards. */
  end: number;
  /** Bases of sealed segments readers set aside (skip-corrupt). */
  misplaced: Set<number>;
  /** What is reported, in order. */
  events: RecoveryEvent[];
}

/** Decide what `mode` does with what `c` found; a refusal is the error to throw. */
export function planRecovery(
  c: Classification,
  options: { mode: RecoveryMode; dir: string },
): RecoveryPlan | CorruptJournalError {
  const { mode, dir } = options;
  const path = (i: number) => `${dir}/${segmentName(c.bases[i])}`;
  const last = c.bases.length - 1;
  const plan: RecoveryPlan = {
    truncate: null,
    remove: [],
    bases: [...c.bases],
    lastSize: c.sizes[last],
    end: c.bases[last] + c.sizes[last],
    misplaced: new Set(),
    events: [],
  };
  const first = c.damage[0];
  if (first !== undefined && (mode === "absolute" || mode === "tolerate-torn-tail")) {
    return new CorruptJournalError(first.file, first.offset, first.reason);
  }
  if (first !== undefined && mode === "point-in-time") {
    const { index, pos } = first.cut;
    const offset = c.bases[index] + pos;
    const lost = (first.reason === "missing bytes" ? first.bytes : 0) + plan.end - offset;
    if (pos < c.sizes[index]) plan.truncate = { path: path(index), size: pos };
    plan.events.push({
      kind: "dropped",
      file: path(index),
      offset,
      reason: first.reason,
      bytes: lost,
    });
    for (let i = last; i > index; i--) {
      plan.remove.push(path(i));
      plan.events.push({
        kind: "dropped",
        file: path(i),
        offset: c.bases[i],
        reason: "missing segment",
        bytes: c.sizes[i],
      });
    }
    plan.bases.length = index + 1;
    plan.lastSize = pos;
    plan.end = offset;
    return plan;
  }
  if (mode === "skip-corrupt") {
    for (const d of c.damage) {
      if (d.kind === "misplaced" && d.index === last) {
        // Appends behind it would land at offsets nobody can trust.
        return new CorruptJournalError(d.file, d.offset, d.reason);
      }
      if (d.kind === "misplaced") plan.misplaced.add(c.bases[d.index]);
      plan.events.push({
        kind: d.kind === "gap" ? "missing" : "skipped",
        file: d.file,
        offset: d.offset,
        reason: d.reason,
        bytes: d.bytes,
      });
    }
  }
  const tail = c.tail;
  if (tail === null) return plan;
  if (mode === "absolute" && !tail.zeros) {
    return new CorruptJournalError(path(last), tail.offset, tail.reason);
  }
  const size = tail.offset - c.bases[last];
  plan.truncate = { path: path(last), size };
  plan.lastSize = size;
  plan.end = tail.offset;
  if (!tail.zeros) {
    plan.events.push({
      kind: "truncated",
      file: path(last),
      offset: tail.offset,
      reason: tail.reason,
      bytes: tail.bytes,
    });
  }
  return plan;
}

/**
 * Carry out `plan`: the truncation (fdatasync'ed), then the deletions (with a
 * directory fsync); each event is reported once its action is done.
 */
export async function applyRecovery(
  plan: RecoveryPlan,
  options: { fs: FileLayer; dir: string; report: (event: RecoveryEvent) => void },
): Promise<void> {
  const { fs, dir, report } = options;
  if (plan.truncate !== null) {
    const file = await fs.open(plan.truncate.path, { read: true, write: true });
    try {
      await file.truncate(plan.truncate.size);
      await file.syncData();
    } finally {
      file.close();
    }
  }
  for (const path of plan.remove) await fs.remove(path);
  if (plan.remove.length > 0) await fs.syncDir(dir);
  for (const event of plan.events) report(event);
}
