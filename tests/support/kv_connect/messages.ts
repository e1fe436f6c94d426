/**
 * The KV Connect data path messages (`com.deno.kv.datapath`), written here
 * from the protocol's documented schema and encoded with protobufjs. Only the
 * messages and fields the test server reads or writes are declared; protobuf
 * skips unknown fields, so a newer client's additions are tolerated.
 *
 * @module
 */

import protobuf from "protobufjs";

const SCHEMA = `
syntax = "proto3";
package com.deno.kv.datapath;

message SnapshotRead { repeated ReadRange ranges = 1; }
message ReadRange { bytes start = 1; bytes end = 2; int32 limit = 3; bool reverse = 4; }
message SnapshotReadOutput {
  repeated ReadRangeOutput ranges = 1;
  bool read_disabled = 2;
  bool read_is_strongly_consistent = 4;
  SnapshotReadStatus status = 8;
}
enum SnapshotReadStatus { SR_UNSPECIFIED = 0; SR_SUCCESS = 1; SR_READ_DISABLED = 2; }
message ReadRangeOutput { repeated KvEntry values = 1; }
message KvEntry { bytes key = 1; bytes value = 2; ValueEncoding encoding = 3; bytes versionstamp = 4; }

message AtomicWrite { repeated Check checks = 1; repeated Mutation mutations = 2; repeated Enqueue enqueues = 3; }
message Check { bytes key = 1; bytes versionstamp = 2; }
message Mutation {
  bytes key = 1;
  KvValue value = 2;
  MutationType mutation_type = 3;
  int64 expire_at_ms = 4;
  bytes sum_min = 5;
  bytes sum_max = 6;
  bool sum_clamp = 7;
}
message KvValue { bytes data = 1; ValueEncoding encoding = 2; }
message Enqueue { bytes payload = 1; int64 deadline_ms = 2; repeated bytes keys_if_undelivered = 3; repeated uint32 backoff_schedule = 4; }
enum MutationType {
  M_UNSPECIFIED = 0; M_SET = 1; M_DELETE = 2; M_SUM = 3; M_MAX = 4; M_MIN = 5;
  M_SET_SUFFIX_VERSIONSTAMPED_KEY = 9;
}
enum ValueEncoding { VE_UNSPECIFIED = 0; VE_V8 = 1; VE_LE64 = 2; VE_BYTES = 3; }
message AtomicWriteOutput { AtomicWriteStatus status = 1; bytes versionstamp = 2; repeated uint32 failed_checks = 4; }
enum AtomicWriteStatus { AW_UNSPECIFIED = 0; AW_SUCCESS = 1; AW_CHECK_FAILURE = 2; AW_WRITE_DISABLED = 5; }
`;

const root = protobuf.parse(SCHEMA).root;
const type = (name: string) => root.lookupType(`com.deno.kv.datapath.${name}`);
const SnapshotReadType = type("SnapshotRead");
const SnapshotReadOutputType = type("SnapshotReadOutput");
const AtomicWriteType = type("AtomicWrite");
const AtomicWriteOutputType = type("AtomicWriteOutput");

/** `ValueEncoding`: how a value's bytes are to be read. */
export const ValueEncoding = { V8: 1, LE64: 2, BYTES: 3 } as const;
/** `MutationType`: what a mutation does to its key. */
export const MutationType = {
  SET: 1,
  DELETE: 2,
  SUM: 3,
  MAX: 4,
  MIN: 5,
  SET_SUFFIX_VERSIONSTAMPED_KEY: 9,
} as const;
/** `AtomicWriteStatus`: the outcome of an atomic write. */
export const AtomicWriteStatus = { SUCCESS: 1, CHECK_FAILURE: 2, WRITE_DISABLED: 5 } as const;
/** `SnapshotReadStatus`: the outcome of a snapshot read. */
export const SnapshotReadStatus = { SUCCESS: 1, READ_DISABLED: 2 } as const;

/** One `ReadRange`: keys in `[start, end)`, at most `limit`, optionally from the end. */
export interface ReadRange {
  start: Uint8Array;
  end: Uint8Array;
  limit: number;
  reverse: boolean;
}

/** A value with its wire encoding (`KvValue`). */
export interface WireValue {
  data: Uint8Array;
  encoding: number;
}

/** One `KvEntry` of a read's answer. */
export interface WireEntry {
  key: Uint8Array;
  value: Uint8Array;
  encoding: number;
  versionstamp: Uint8Array;
}

/** One `Check`: an empty versionstamp means "the key has no value". */
export interface WireCheck {
  key: Uint8Array;
  versionstamp: Uint8Array;
}

/** One `Mutation`. `expireAtMs` 0 means no expiry. */
export interface WireMutation {
  key: Uint8Array;
  value: WireValue | null;
  mutationType: number;
  expireAtMs: number;
  sumMin: Uint8Array;
  sumMax: Uint8Array;
  sumClamp: boolean;
}

/** A decoded `AtomicWrite` request. */
export interface AtomicWriteRequest {
  checks: WireCheck[];
  mutations: WireMutation[];
  enqueueCount: number;
}

/** An `AtomicWriteOutput` answer. */
export interface AtomicWriteAnswer {
  status: number;
  versionstamp: Uint8Array;
  failedChecks: number[];
}

/** Thrown when a request body is not the protobuf message its endpoint takes. */
export class MessageDecodeError extends Error {
  override name = "MessageDecodeError";
}

const TO_OBJECT = { defaults: true, longs: Number, enums: Number, arrays: true } as const;

function decode(t: protobuf.Type, body: Uint8Array): Record<string, unknown> {
  try {
    return t.toObject(t.decode(body), TO_OBJECT);
  } catch (error) {
    throw new MessageDecodeError(
      `Cannot decode ${t.name} request body: ${(error as Error).message}`,
    );
  }
}

function bytes(value: unknown): Uint8Array {
  return value instanceof Uint8Array ? new Uint8Array(value) : new Uint8Array();
}

/** Decodes a `SnapshotRead` request body. */
export function decodeSnapshotRead(body: Uint8Array): ReadRange[] {
  const message = decode(SnapshotReadType, body) as { ranges: Record<string, unknown>[] };
  return message.ranges.map((r) => ({
    start: bytes(r.start),
    end: bytes(r.end),
    limit: r.limit as number,
    reverse: r.reverse as boolean,
  }));
}

/** Encodes a successful, strongly consistent `SnapshotReadOutput`. */
export function encodeSnapshotReadOutput(ranges: WireEntry[][]): Uint8Array {
  const message = SnapshotReadOutputType.fromObject({
    ranges: ranges.map((values) => ({ values })),
    readDisabled: false,
    readIsStronglyConsistent: true,
    status: SnapshotReadStatus.SUCCESS,
  });
  return SnapshotReadOutputType.encode(message).finish();
}

/** Decodes an `AtomicWrite` request body. */
export function decodeAtomicWrite(body: Uint8Array): AtomicWriteRequest {
  const message = decode(AtomicWriteType, body) as {
    checks: Record<string, unknown>[];
    mutations: Record<string, unknown>[];
    enqueues: unknown[];
  };
  return {
    checks: message.checks.map((c) => ({ key: bytes(c.key), versionstamp: bytes(c.versionstamp) })),
    mutations: message.mutations.map((m) => {
      const value = m.value as Record<string, unknown> | null;
      return {
        key: bytes(m.key),
        value: value ? { data: bytes(value.data), encoding: value.encoding as number } : null,
        mutationType: m.mutationType as number,
        expireAtMs: m.expireAtMs as number,
        sumMin: bytes(m.sumMin),
        sumMax: bytes(m.sumMax),
        sumClamp: m.sumClamp as boolean,
      };
    }),
    enqueueCount: message.enqueues.length,
  };
}

/** Encodes an `AtomicWriteOutput` answer. */
export function encodeAtomicWriteOutput(answer: AtomicWriteAnswer): Uint8Array {
  return AtomicWriteOutputType.encode(AtomicWriteOutputType.fromObject(answer)).finish();
}
