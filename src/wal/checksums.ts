/**
 * CRC-32C and BLAKE3 from hash-wasm. The hashers are created once (awaited
 * when a journal opens) and then used synchronously, so the hot path never
 * awaits per record.
 *
 * @module
 */
import { createBLAKE3, createCRC32, type IHasher } from "hash-wasm";
import { CRC32C_POLYNOMIAL, DIGEST_SIZE } from "./format.ts";

/** Synchronous checksum functions backed by WASM hashers created once. */
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
  const blake: IHasher = await createBLAKE3();
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
      blake.init();
      blake.update(data);
      out.set(blake.digest("binary").subarray(0, DIGEST_SIZE), at);
    },
  };
}
