/**
 * Record codec: `[len: u32 LE][crc32c: u32 LE][blake3: 32 bytes][payload]`.
 * The CRC covers the length bytes, the digest bytes and the payload (the crc
 * field itself left out), so a corrupt length is caught too.
 *
 * @module
 */
import type { CorruptionReason } from "./errors.ts";
import type { Hashers } from "./checksums.ts";
import {
  CRC_OFFSET,
  DIGEST_OFFSET,
  DIGEST_SIZE,
  HEADER_SIZE,
  LEN_OFFSET,
  LEN_SIZE,
} from "./format.ts";

/** Read a u32 little-endian at `at`. */
export function readU32(buf: Uint8Array, at: number): number {
  return (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> 0;
}

/** Write a u32 little-endian at `at`. */
export function writeU32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value & 0xff;
  buf[at + 1] = (value >>> 8) & 0xff;
  buf[at + 2] = (value >>> 16) & 0xff;
  buf[at + 3] = (value >>> 24) & 0xff;
}

/** Bytes a record with a payload of `len` bytes takes on disk. */
export function encodedSize(len: number): number {
  return HEADER_SIZE + len;
}

/**
 * Encode one record into `out` at `at` (the caller sizes `out`); returns the
 * position just past it. The digest is computed into the header in place.
 */
export function encodeRecord(h: Hashers, payload: Uint8Array, out: Uint8Array, at: number): number {
  const end = placeRecord(payload, out, at);
  sealRecord(h, out, at);
  return end;
}

/**
 * First half of encoding: write the length and copy the payload, leaving the
 * crc and digest fields for `sealRecord()`; returns the position past the record.
 */
export function placeRecord(payload: Uint8Array, out: Uint8Array, at: number): number {
  writeU32(out, at + LEN_OFFSET, payload.length);
  out.set(payload, at + HEADER_SIZE);
  return at + HEADER_SIZE + payload.length;
}

/** Second half of encoding: compute the digest and then the crc of a placed record in place. */
export function sealRecord(h: Hashers, buf: Uint8Array, at: number): void {
  const len = readU32(buf, at + LEN_OFFSET);
  const end = at + HEADER_SIZE + len;
  h.blake3Into(buf.subarray(at + HEADER_SIZE, end), buf, at + DIGEST_OFFSET);
  // The crc covers the length, then the digest and payload. The length is
  // copied into the crc field, right before the digest, so that one run of
  // bytes holds all three: one hasher call instead of two (a third of the
  // crc's cost on a small record). The crc then overwrites the copy.
  writeU32(buf, at + CRC_OFFSET, len);
  writeU32(buf, at + CRC_OFFSET, h.crc32c(buf.subarray(at + CRC_OFFSET, end)));
}

/**
 * The length checks alone, without reading the payload: `available` bytes of
 * the record are in `buf` (at least the header for a verdict), and `room`
 * bytes remain before the end of the segment or the durable end.
 */
export function checkLength(
  buf: Uint8Array,
  at: number,
  available: number,
  room: number,
  maxRecordBytes: number,
): CorruptionReason | null {
  if (available < HEADER_SIZE) return "torn header";
  const len = readU32(buf, at + LEN_OFFSET);
  if (len === 0) return "zero length";
  if (len > maxRecordBytes) return "length exceeds maximum";
  if (HEADER_SIZE + len > room) return "torn payload";
  return null;
}

/**
 * Check the record at `at`, given that `available` bytes from `at` belong to
 * the segment (and are in `buf`, up to the record's end). Returns `null` for a
 * good record, else what is wrong. The length is bounded before the payload is
 * looked at, so a corrupt length never leads to a large read.
 */
export function checkRecord(
  h: Hashers,
  buf: Uint8Array,
  at: number,
  available: number,
  maxRecordBytes: number,
  verifyDigest: boolean,
): CorruptionReason | null {
  const bad = checkLength(buf, at, available, available, maxRecordBytes);
  if (bad !== null) return bad;
  const end = at + HEADER_SIZE + readU32(buf, at + LEN_OFFSET);
  const crc = h.crc32c(
    buf.subarray(at + LEN_OFFSET, at + LEN_SIZE),
    buf.subarray(at + DIGEST_OFFSET, end),
  );
  if (crc !== readU32(buf, at + CRC_OFFSET)) return "crc mismatch";
  if (verifyDigest) {
    h.blake3Into(buf.subarray(at + HEADER_SIZE, end), scratch, 0);
    for (let i = 0; i < DIGEST_SIZE; i++) {
      if (scratch[i] !== buf[at + DIGEST_OFFSET + i]) return "digest mismatch";
    }
  }
  return null;
}

const scratch = new Uint8Array(DIGEST_SIZE);

/** A decoded record's parts (views into the input). */
export interface DecodedRecord {
  /** The payload bytes. */
  payload: Uint8Array;
  /** The stored BLAKE3-256 digest of the payload. */
  digest: Uint8Array;
}

/**
 * Decode the single record that `bytes` holds exactly, verifying length, CRC
 * and digest; returns the failure reason instead when it does not verify.
 */
export function decodeRecord(
  h: Hashers,
  bytes: Uint8Array,
  maxRecordBytes: number,
): DecodedRecord | CorruptionReason {
  const reason = checkRecord(h, bytes, 0, bytes.length, maxRecordBytes, true);
  if (reason !== null) return reason;
  const len = readU32(bytes, LEN_OFFSET);
  if (HEADER_SIZE + len !== bytes.length) return "torn payload";
  return {
    payload: bytes.subarray(HEADER_SIZE, HEADER_SIZE + len),
    digest: bytes.subarray(DIGEST_OFFSET, DIGEST_OFFSET + DIGEST_SIZE),
  };
}
