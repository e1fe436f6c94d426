/**
 * Byte-level constants of the journal format, version 2. This file is the one
 * place they are defined; docs/FORMAT.md describes the same grammar in prose.
 *
 * Record: `[len: u32 LE][crc32c: u32 LE][blake3: 32 bytes][payload: len bytes]`.
 *
 * @module
 */

/** Version of the on-disk format written into the journal metadata file. */
export const FORMAT_VERSION = 2;

/** Width of the little-endian payload length field. */
export const LEN_SIZE = 4;
/** Width of the little-endian CRC-32C field. */
export const CRC_SIZE = 4;
/** Width of the BLAKE3-256 payload digest. */
export const DIGEST_SIZE = 32;

/** Header is length (4 bytes), crc32c (4 bytes), blake3 (32 bytes). */
export const HEADER_SIZE: number = LEN_SIZE + CRC_SIZE + DIGEST_SIZE;

/**
 * Smallest record on disk: a header and one payload byte (`len = 0` is never
 * written). A gap between segments smaller than this cannot be a missing
 * segment, and a filler record cannot be shorter.
 */
export const MIN_RECORD_BYTES: number = HEADER_SIZE + 1;

/** Byte position of the length field inside a record header. */
export const LEN_OFFSET = 0;
/** Byte position of the CRC-32C field inside a record header. */
export const CRC_OFFSET: number = LEN_OFFSET + LEN_SIZE;
/** Byte position of the BLAKE3 digest inside a record header. */
export const DIGEST_OFFSET: number = CRC_OFFSET + CRC_SIZE;

/**
 * CRC-32C (Castagnoli) polynomial in reversed form, as hash-wasm expects it.
 * Check value: CRC-32C of the ASCII bytes "123456789" is 0xE3069283.
 */
export const CRC32C_POLYNOMIAL = 0x82f63b78;

/** Largest payload a u32 length field can describe. */
export const MAX_LEN_FIELD = 0xffff_ffff;

/**
 * Default cap on one record's payload, checked before anything is allocated
 * on read, so a corrupt length can never make a reader allocate gigabytes.
 */
export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** Default size at which the active segment is sealed and a new one begun. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

/** Default cap on the bytes one group commit writes with one fdatasync. */
export const DEFAULT_GROUP_COMMIT_BYTES = 1024 * 1024;

/**
 * Default zero-filled space kept ahead of the active segment's last record.
 * Zeros past the last record of the last segment are its end, not damage.
 */
export const DEFAULT_PREALLOCATE_BYTES = 1024 * 1024;

/** Segment names: the base offset as 20 zero-padded decimal digits (u64 max has 20). */
export const SEGMENT_NAME_DIGITS = 20;
/** Segment file extension. */
export const SEGMENT_EXTENSION = ".wal";

/** Metadata file: format version and journal id, replaced atomically. */
export const META_FILE = "journal.json";
/** Exclusive writer lock file, held with flock while a writer is open. */
export const LOCK_FILE = "LOCK";

/**
 * Durable-end file: where the writer publishes the end of durable data after
 * every sync, so readers in other processes stop there and recovery can tell
 * a torn unacknowledged tail from corruption of acknowledged records.
 * Layout: `[magic: u32 LE][durable end: u64 LE][crc32c of the first 12 bytes: u32 LE]`.
 */
export const HEAD_FILE = "durable";
/** Magic number opening the durable-end file ("SDUR" read little-endian). */
export const HEAD_MAGIC = 0x52554453;
/** Size of the durable-end file: magic (4) + offset (8) + crc32c (4). */
export const HEAD_SIZE: number = 4 + 8 + 4;
