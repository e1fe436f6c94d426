/**
 * CRC-32C from hash-wasm and BLAKE3 from blake3-jit. The CRC hasher is created
 * once (awaited when a journal opens) and then used synchronously, so the hot
 * path never awaits per record.
 *
 * Why blake3-jit for BLAKE3: a journal record is small, and hash-wasm's
 * incremental hasher pays three calls into WASM and a new digest array per
 * record, which cost more than hashing a few hundred bytes. blake3-jit hashes
 * inputs under 4 KiB in plain JavaScript straight into the caller's array
 * (`hashInto`), and large ones in WASM SIMD: measured on this project's VM
 * (medians of 9 interleaved rounds, load 3–6) 0.74 against 1.69 µs for a 128-byte
 * payload, 1.45 against 2.22 µs for 256 bytes, 2.7 against 3.6 µs for 1,000,
 * level from 2 to 6 KB, and 96 against 174 µs for 60 KB.
 *
 * @module
 */
import { createCRC32, type IHasher } from "hash-wasm";
import { hashInto } from "blake3-jit";
import { CRC32C_POLYNOMIAL, DIGEST_SIZE } from "./format.ts";

/** Synchronous checksum functions backed by hashers created once. */
export interface Hashers {
  /** CRC-32C over the concatenation of `a` and `b`. */
  crc32c(a: Uint8Array, b?: Uint8Array): number;
  /** BLAKE3-256 of `data`, written into `out` at `at`. */
  blake3Into(data: Uint8Array, out: Uint8Array, at: number): void;
}

let loading: Promise<Hashers> | null = null;

/** The shared hashers, created on first use. */
export function loadHashers(): Promise<Hashers> {
  loading ??= create();
  return loading;
}

async function create(): Promise<Hashers> {
  const crc: IHasher = await createCRC32(CRC32C_POLYNOMIAL);
  return {
    crc32c(a, b) {
      crc.init();
      crc.update(a);
      if (b !== undefined) crc.update(b);
      // hex, not "binary": the binary digest allocates a new array per call,
      // which costs more than hashing a small record.
      return parseInt(crc.digest("hex"), 16) >>> 0;
    },
    blake3Into(data, out, at) {
      hashInto(data, out.subarray(at, at + DIGEST_SIZE));
    },
  };
}
