// Shared helpers of the WAL tests (not a test file).
import type { AppendResult, FileHandle, FileLayer, RecoveryEvent } from "../../src/wal/mod.ts";
import { denoFileLayer, Journal, segmentName } from "../../src/wal/mod.ts";

/** Run `fn` with a fresh temp directory, removed afterwards. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "stemedb_wal_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A payload of `n` bytes derived from `seed`. */
export function payload(seed: number, n = 16 + (seed % 50)): Uint8Array {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = (seed * 31 + i * 7) & 0xff;
  return p;
}

/** Path of the segment with base `base`. */
export function segPath(dir: string, base: number): string {
  return `${dir}/${segmentName(base)}`;
}

/** Flip (xor 0xff) the byte at file position `pos` of `path`. */
export async function flipByte(path: string, pos: number): Promise<void> {
  const bytes = await Deno.readFile(path);
  bytes[pos] ^= 0xff;
  await Deno.writeFile(path, bytes);
}

/** Counters and fault switches of a wrapped file layer. */
export interface FaultLayer extends FileLayer {
  /** fdatasync calls on segment files (blocking and async). */
  segmentSyncs: number;
  /** How each segment fdatasync ran, in order. */
  syncKinds: ("blocking" | "async")[];
  /** Called before each segment fdatasync (after it is counted). */
  beforeSync: ((kind: "blocking" | "async") => void) | null;
  /** Write calls on segment files. */
  segmentWrites: number;
  /** When set, segment writes fail with this error. */
  failWrite: Error | null;
  /** When set, segment writes for which it returns an error fail with it. */
  refuseWrite: ((bytes: Uint8Array) => Error | null) | null;
  /** When set, segment fdatasyncs fail with this error. */
  failSync: Error | null;
  /** fsyncs of directories. */
  dirSyncs: number;
  /** When set, a segment write writes this many bytes (once) and later writes fail with ENOSPC. */
  failAfterBytes: number | null;
}

/** Wrap the real file layer with counters and injectable faults on `.wal` files. */
export function faultLayer(base: FileLayer = denoFileLayer): FaultLayer {
  const layer: FaultLayer = {
    ...base,
    segmentSyncs: 0,
    syncKinds: [],
    beforeSync: null,
    segmentWrites: 0,
    failWrite: null,
    refuseWrite: null,
    failSync: null,
    failAfterBytes: null,
    dirSyncs: 0,
    syncDir(path) {
      layer.dirSyncs++;
      return base.syncDir(path);
    },
    async open(path, options) {
      const inner = await base.open(path, options);
      if (!path.endsWith(".wal")) return inner;
      const wrapped: FileHandle = {
        write(p) {
          try {
            return Promise.resolve(wrapped.writeSync(p));
          } catch (e) {
            return Promise.reject(e);
          }
        },
        writeSync(p) {
          layer.segmentWrites++;
          if (layer.failWrite !== null) throw layer.failWrite;
          const refusal = layer.refuseWrite?.(p) ?? null;
          if (refusal !== null) throw refusal;
          if (layer.failAfterBytes !== null) {
            const n = layer.failAfterBytes;
            layer.failAfterBytes = 0;
            if (n === 0) throw new Error("ENOSPC: no space left on device (injected)");
            return inner.writeSync(p.subarray(0, Math.min(n, p.length)));
          }
          return inner.writeSync(p);
        },
        seekSync: (o, w) => inner.seekSync(o, w),
        read: (p) => inner.read(p),
        seek: (o, w) => inner.seek(o, w),
        syncData() {
          layer.segmentSyncs++;
          layer.syncKinds.push("async");
          try {
            layer.beforeSync?.("async");
          } catch (e) {
            return Promise.reject(e);
          }
          if (layer.failSync !== null) return Promise.reject(layer.failSync);
          return inner.syncData();
        },
        syncDataSync() {
          layer.segmentSyncs++;
          layer.syncKinds.push("blocking");
          layer.beforeSync?.("blocking");
          if (layer.failSync !== null) throw layer.failSync;
          inner.syncDataSync!();
        },
        truncate: (len) => inner.truncate(len),
        stat: () => inner.stat(),
        tryLock: (e) => inner.tryLock(e),
        close: () => inner.close(),
      };
      return wrapped;
    },
  };
  return layer;
}

/** Every record of the journal from its first offset, payloads only. */
export async function readAll(
  journal: {
    readFrom(o: number): AsyncIterableIterator<{ payload: Uint8Array }>;
    firstOffset: number;
  },
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const r of journal.readFrom(journal.firstOffset)) out.push(r.payload);
  return out;
}

/** Overwrite the published durable end (`null` removes the file), as a crash before publishing would leave it. */
export async function setHead(dir: string, offset: number | null): Promise<void> {
  const { loadHashers } = await import("../../src/wal/checksums.ts");
  const { encodeHead, headPath } = await import("../../src/wal/durable_head.ts");
  const { HEAD_SIZE } = await import("../../src/wal/format.ts");
  if (offset === null) {
    await Deno.remove(headPath(dir)).catch(() => {});
    return;
  }
  await Deno.writeFile(
    headPath(dir),
    encodeHead(await loadHashers(), offset, new Uint8Array(HEAD_SIZE)),
  );
}

/** A skip-corrupt reader of six 80-byte records whose third fails its CRC, and what it reports. */
export interface SkipCorruptFixture {
  reader: Journal;
  /** The six appends' results. */
  results: AppendResult[];
  /** The segment file holding them. */
  path: string;
  /** What the reader reports, as it reports it. */
  events: RecoveryEvent[];
  /** The report skipping the damaged third record must make. */
  skipped: RecoveryEvent;
}

/** Write six records into `dir`, flip a byte of the third, open a "skip-corrupt" reader. */
export async function skipCorruptReader(dir: string): Promise<SkipCorruptFixture> {
  const writer = await Journal.open(dir);
  const results = await writer.appendBatch(Array.from({ length: 6 }, (_, i) => payload(i, 80)));
  await writer.close();
  const path = segPath(dir, 0);
  await flipByte(path, results[2].offset + 50);
  const events: RecoveryEvent[] = [];
  const reader = await Journal.open(dir, {
    readOnly: true,
    recovery: "skip-corrupt",
    onRecovery: (e) => events.push(e),
  });
  const skipped: RecoveryEvent = {
    kind: "skipped",
    file: path,
    offset: results[2].offset,
    reason: "crc mismatch",
    bytes: results[2].next - results[2].offset,
  };
  return { reader, results, path, events, skipped };
}

/** A writer whose first record is durable (sealed by a rotation) and whose second is not. */
export interface SealedThenPending {
  /** A durability "interval" writer that will not sync on its own within a test. */
  writer: Journal;
  /** The first append: in a sealed, synced segment. */
  sealed: AppendResult;
  /** The second append: written to the new segment, past the durable end. */
  pending: AppendResult;
}

/**
 * Open a durability "interval" writer in `dir` with 200-byte segments and
 * append two 100-byte records: the second rotates, which syncs and seals the
 * first segment, so the durable end is the first record's end.
 */
export async function sealedThenPending(dir: string): Promise<SealedThenPending> {
  const writer = await Journal.open(dir, {
    durability: "interval",
    syncIntervalMs: 60_000,
    segmentBytes: 200,
  });
  const sealed = await writer.append(payload(1, 100));
  if (writer.durableOffset !== 0) {
    throw new Error(`Cannot set up the fixture: durable end ${writer.durableOffset} before a sync`);
  }
  const pending = await writer.append(payload(2, 100));
  if (writer.durableOffset !== sealed.next) {
    throw new Error(
      `Cannot set up the fixture: durable end ${writer.durableOffset}, not ${sealed.next}`,
    );
  }
  return { writer, sealed, pending };
}
