/**
 * Typed errors of the journal. Callers catch these by class; messages name the
 * directory, segment file and offset involved.
 *
 * @module
 */

/** Base class of every journal error, so callers can catch them all at once. */
export class JournalError extends Error {
  /** Construct a journal error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "JournalError";
  }
}

/** What went wrong inside a corrupt record or segment. */
export type CorruptionReason =
  | "torn header"
  | "torn payload"
  | "zero length"
  | "length exceeds maximum"
  | "crc mismatch"
  | "digest mismatch"
  | "missing bytes"
  | "missing segment"
  | "overlapping segment"
  | "bad metadata"
  | "bad durable end";

/**
 * The journal holds bytes that fail verification where acknowledged data
 * should be. Sticky: a journal that raised it refuses further work until reopened.
 */
export class CorruptJournalError extends JournalError {
  /** Segment file (path) holding the corrupt bytes, or the metadata file. */
  readonly file: string;
  /** Global offset of the corrupt record. */
  readonly offset: number;
  /** What failed. */
  readonly reason: CorruptionReason;
  /** Construct a corruption error. */
  constructor(file: string, offset: number, reason: CorruptionReason, options?: ErrorOptions) {
    super(`Corrupt journal record in "${file}" at offset ${offset}: ${reason}`, options);
    this.name = "CorruptJournalError";
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}

/** Another writer holds the journal's exclusive lock. */
export class JournalLockedError extends JournalError {
  /** The journal directory. */
  readonly dir: string;
  /** Construct a lock error. */
  constructor(dir: string, options?: ErrorOptions) {
    super(`Cannot open journal "${dir}": locked by another writer`, options);
    this.name = "JournalLockedError";
    this.dir = dir;
  }
}

/** The journal was closed; reopen it to continue. */
export class JournalClosedError extends JournalError {
  /** Construct a closed error. */
  constructor(dir: string) {
    super(`Cannot use journal "${dir}": it is closed`);
    this.name = "JournalClosedError";
  }
}

/** A payload is empty or larger than the journal's maximum record size. */
export class RecordSizeError extends JournalError {
  /** The offending payload size in bytes. */
  readonly size: number;
  /** The configured maximum. */
  readonly max: number;
  /** Construct a size error. */
  constructor(size: number, max: number) {
    super(
      size === 0
        ? "Cannot append record: payload is empty"
        : `Cannot append record: payload of ${size} bytes exceeds the maximum of ${max} bytes`,
    );
    this.name = "RecordSizeError";
    this.size = size;
    this.max = max;
  }
}

/**
 * A write, fsync or truncate failed (EIO, ENOSPC, …). The writer is poisoned:
 * every later append fails with this error until the journal is reopened.
 * The bytes already acknowledged stay readable.
 */
export class JournalIOError extends JournalError {
  /** Construct an I/O error wrapping the underlying cause. */
  constructor(dir: string, action: string, cause: unknown) {
    super(
      `Journal "${dir}" failed to ${action}: ${cause instanceof Error ? cause.message : cause}`,
      { cause },
    );
    this.name = "JournalIOError";
  }
}

/** An offset does not name the start of a record the journal holds. */
export class OffsetError extends JournalError {
  /** The requested offset. */
  readonly offset: number;
  /** Construct an offset error. */
  constructor(offset: number, detail: string) {
    super(`Cannot read offset ${offset}: ${detail}`);
    this.name = "OffsetError";
    this.offset = offset;
  }
}
