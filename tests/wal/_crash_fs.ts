/**
 * The test suite's stand-in for a power loss: a file layer that runs every
 * operation on real files in a temp directory and records it, and a model
 * that turns the recording into the states a disk could be left in by a
 * crash at any operation boundary.
 *
 * The ideas are those of LevelDB's fault-injection Env and RocksDB's
 * FaultInjectionTestFS: track, per file, what was written since its last
 * fdatasync/fsync and, per directory, which entries were created, renamed or
 * removed since its last fsync; on a simulated crash drop that unsynced state,
 * or keep part of it. Which parts are explored follows ALICE (Pillai et al.,
 * "All File Systems Are Not Created Equal", OSDI 2014): record the operations
 * of a small workload once, then construct the crash state at every operation
 * boundary, and for each, the variants of its unsynced tail. Nothing is copied
 * from those projects.
 *
 * The persistence model (what may survive a crash):
 * - A file's data and size as of its last fdatasync survive; so does
 *   everything a directory held at its last fsync. A file whose entry was
 *   never made durable is gone, whatever was synced into it.
 * - Unsynced operations survive as any in-order prefix, or with one data
 *   operation reordered (all but one kept, or only one kept): file data
 *   reaches the disk independently of other files and of directory entries.
 * - A write can tear at 512-byte sector granularity: any subset of its
 *   sectors reaches the disk (each sector whole: old or new content), and the
 *   file may have grown to cover sectors that were never written (zeros).
 * - Directory operations on one directory survive as an in-order prefix, as
 *   with the metadata journal of ext4 or XFS.
 *
 * @module
 */
import type { FileHandle, FileLayer } from "../../src/wal/mod.ts";
import { denoFileLayer, writeAll } from "../../src/wal/file_layer.ts";

/** Sector size of the tearing model: a sector reaches the disk whole or not at all. */
export const SECTOR = 512;

/** One recorded operation (paths are relative to the crash layer's root). */
export type TraceOp =
  | { op: "create"; path: string; inode: number }
  | { op: "mkdir"; path: string }
  | { op: "write"; inode: number; offset: number; bytes: Uint8Array }
  | { op: "truncate"; inode: number; size: number }
  | { op: "fsync"; inode: number; path: string }
  | { op: "rename"; from: string; to: string }
  | { op: "remove"; path: string }
  | { op: "syncDir"; path: string }
  | { op: "mark"; data: unknown };

/** A file layer over real files that records every operation that changes them. */
export class CrashFs {
  /** The real directory the workload runs in. */
  readonly root: string;
  /** Every recorded operation, in the order it completed. */
  readonly trace: TraceOp[] = [];
  /** Inode of each live path. */
  #inodes = new Map<string, number>();
  #nextInode = 1;

  /** Record the operations of a workload run in the empty directory `root`. */
  constructor(root: string) {
    this.root = root;
  }

  /**
   * Start from `image` as the durable state (its files and entries written and
   * synced through this layer), so that a later crash can only lose what
   * happens after: for crashing a recovery in its turn.
   */
  async seed(image: Image): Promise<void> {
    const layer = this.layer;
    const dirs = new Set([this.root]);
    for (const [path, data] of image) {
      const full = `${this.root}/${path}`;
      if (data === "dir") {
        await layer.mkdir(full);
        dirs.add(full);
        continue;
      }
      const file = await layer.open(full, { write: true, createNew: true });
      try {
        await writeAll(file, data);
        await file.syncData();
      } finally {
        file.close();
      }
    }
    for (const dir of dirs) await layer.syncDir(dir);
  }

  /** Add a marker (an acknowledgement, a phase) to the trace. */
  mark(data: unknown): void {
    this.trace.push({ op: "mark", data });
  }

  #rel(path: string): string {
    if (!path.startsWith(this.root + "/")) {
      throw new Error(`Cannot record "${path}": outside the crash layer's root "${this.root}"`);
    }
    return path.slice(this.root.length + 1);
  }

  /** The file layer to hand to `Journal.open()`. */
  get layer(): FileLayer {
    return {
      ...denoFileLayer,
      open: (path, options) => this.#open(path, options),
      remove: async (path) => {
        await denoFileLayer.remove(path);
        this.#inodes.delete(this.#rel(path));
        this.trace.push({ op: "remove", path: this.#rel(path) });
      },
      rename: async (from, to) => {
        await denoFileLayer.rename(from, to);
        const inode = this.#inodes.get(this.#rel(from))!;
        this.#inodes.delete(this.#rel(from));
        this.#inodes.set(this.#rel(to), inode);
        this.trace.push({ op: "rename", from: this.#rel(from), to: this.#rel(to) });
      },
      mkdir: async (path) => {
        const parts = this.#rel(path).split("/");
        await denoFileLayer.mkdir(path);
        for (let i = 1; i <= parts.length; i++) {
          const sub = parts.slice(0, i).join("/");
          if (!this.#inodes.has(sub)) {
            this.#inodes.set(sub, 0);
            this.trace.push({ op: "mkdir", path: sub });
          }
        }
      },
      syncDir: async (path) => {
        await denoFileLayer.syncDir(path);
        this.trace.push({ op: "syncDir", path: path === this.root ? "" : this.#rel(path) });
      },
    };
  }

  async #open(path: string, options: Deno.OpenOptions): Promise<FileHandle> {
    const rel = this.#rel(path);
    const existed = this.#inodes.has(rel);
    const inner = await denoFileLayer.open(path, options);
    let inode = this.#inodes.get(rel);
    if (inode === undefined) {
      inode = this.#nextInode++;
      this.#inodes.set(rel, inode);
      this.trace.push({ op: "create", path: rel, inode });
    }
    const id = inode;
    if (existed && options.truncate) this.trace.push({ op: "truncate", inode: id, size: 0 });
    const trace = this.trace;
    const recordWrite = (offset: number, p: Uint8Array, n: number) => {
      trace.push({ op: "write", inode: id, offset, bytes: p.slice(0, n) });
    };
    const fsync = () => trace.push({ op: "fsync", inode: id, path: rel });
    return {
      async write(p) {
        const offset = inner.seekSync(0, Deno.SeekMode.Current);
        const n = await inner.write(p);
        recordWrite(offset, p, n);
        return n;
      },
      writeSync(p) {
        const offset = inner.seekSync(0, Deno.SeekMode.Current);
        const n = inner.writeSync(p);
        recordWrite(offset, p, n);
        return n;
      },
      read: (p) => inner.read(p),
      seek: (o, w) => inner.seek(o, w),
      seekSync: (o, w) => inner.seekSync(o, w),
      async syncData() {
        await inner.syncData();
        fsync();
      },
      syncDataSync() {
        inner.syncDataSync!();
        fsync();
      },
      async truncate(len) {
        await inner.truncate(len);
        trace.push({ op: "truncate", inode: id, size: len ?? 0 });
      },
      stat: () => inner.stat(),
      tryLock: (e) => inner.tryLock(e),
      close: () => inner.close(),
    };
  }
}

/** A file system image: every directory and file (with its bytes) under the root. */
export type Image = Map<string, Uint8Array | "dir">;

/** How much of a pending write reaches the disk. */
type Tear = { sectors: Set<number> } | "size-only";

/** One way the unsynced tail may have survived: the pending ops kept, and one torn write. */
interface Survival {
  /** Name of the variant, for failure messages. */
  name: string;
  /** Trace indexes of the pending ops that survive (in trace order). */
  keep: number[];
  /** A write among `keep` that survives only in part. */
  tear?: { index: number; how: Tear };
}

/** One crash state: the boundary (ops before it completed), the variant, the disk image. */
export interface CrashState {
  /** Crash after trace[boundary - 1] completed, before trace[boundary]. */
  boundary: number;
  /** Which variant of the unsynced tail. */
  variant: string;
  /** What the disk holds. */
  image: Image;
}

/** Options of {@linkcode crashStates}. */
export interface CrashStatesOptions {
  /** Explore reorderings and tears of this many of the latest pending data ops (Infinity: all). */
  reorderLast: number;
  /** Largest number of sectors whose every subset a torn write explores. */
  allSubsetsUpTo: number;
  /** Visit only the boundaries this returns true for. */
  boundaries?: (boundary: number) => boolean;
}

interface Model {
  /** Live and durable bytes of each inode. */
  live: Map<number, Uint8Array>;
  durable: Map<number, Uint8Array>;
  /** Live and durable entries of each directory ("" is the root): name → inode (0: a directory). */
  liveDirs: Map<string, Map<string, number>>;
  durableDirs: Map<string, Map<string, number>>;
  /** Trace indexes of the ops not yet made durable. */
  pending: number[];
}

function parentOf(path: string): [string, string] {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? ["", path] : [path.slice(0, slash), path.slice(slash + 1)];
}

function applyWrite(data: Uint8Array, offset: number, bytes: Uint8Array, tear?: Tear): Uint8Array {
  const end = offset + bytes.length;
  let pieces: [number, number][] = [[offset, end]];
  let size = end;
  if (tear === "size-only") {
    pieces = [];
  } else if (tear !== undefined) {
    pieces = [...tear.sectors].sort((a, b) => a - b).map((
      s,
    ) => [Math.max(offset, s * SECTOR), Math.min(end, (s + 1) * SECTOR)]);
    size = pieces.length === 0 ? 0 : pieces[pieces.length - 1][1];
  }
  const out = new Uint8Array(Math.max(data.length, size));
  out.set(data);
  for (const [from, to] of pieces) out.set(bytes.subarray(from - offset, to - offset), from);
  return out;
}

function resize(data: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(data.subarray(0, Math.min(size, data.length)));
  return out;
}

/** Apply one op to a model's files and directories (live side). */
function apply(
  files: Map<number, Uint8Array>,
  dirs: Map<string, Map<string, number>>,
  op: TraceOp,
  tear?: Tear,
): void {
  switch (op.op) {
    case "create": {
      const [dir, name] = parentOf(op.path);
      dirs.get(dir)?.set(name, op.inode);
      if (!files.has(op.inode)) files.set(op.inode, new Uint8Array(0));
      return;
    }
    case "mkdir": {
      const [dir, name] = parentOf(op.path);
      dirs.get(dir)?.set(name, 0);
      if (!dirs.has(op.path)) dirs.set(op.path, new Map());
      return;
    }
    case "write":
      files.set(op.inode, applyWrite(files.get(op.inode)!, op.offset, op.bytes, tear));
      return;
    case "truncate":
      files.set(op.inode, resize(files.get(op.inode)!, op.size));
      return;
    case "rename": {
      const [fromDir, fromName] = parentOf(op.from);
      const [toDir, toName] = parentOf(op.to);
      const inode = dirs.get(fromDir)?.get(fromName);
      if (inode === undefined) return;
      dirs.get(fromDir)!.delete(fromName);
      dirs.get(toDir)?.set(toName, inode);
      return;
    }
    case "remove": {
      const [dir, name] = parentOf(op.path);
      dirs.get(dir)?.delete(name);
      return;
    }
  }
}

function copyDirs(dirs: Map<string, Map<string, number>>): Map<string, Map<string, number>> {
  return new Map([...dirs].map(([k, v]) => [k, new Map(v)]));
}

/** The directory an op changes the entries of, or null for a data op. */
function dirOf(op: TraceOp): string | null {
  if (op.op === "create" || op.op === "mkdir" || op.op === "remove") return parentOf(op.path)[0];
  if (op.op === "rename") return parentOf(op.from)[0];
  return null;
}

function isData(op: TraceOp): boolean {
  return op.op === "write" || op.op === "truncate";
}

/** Sector indexes a write covers. */
function sectorsOf(op: { offset: number; bytes: Uint8Array }): number[] {
  const first = Math.floor(op.offset / SECTOR);
  const last = Math.floor((op.offset + op.bytes.length - 1) / SECTOR);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** Torn versions of a write: sector subsets (never all of them), and growth without data. */
function tears(op: { offset: number; bytes: Uint8Array }, allSubsetsUpTo: number): Tear[] {
  const sectors = sectorsOf(op);
  const out: Tear[] = ["size-only"];
  const n = sectors.length;
  if (n <= allSubsetsUpTo) {
    for (let mask = 1; mask < (1 << n) - 1; mask++) {
      out.push({ sectors: new Set(sectors.filter((_, i) => mask & (1 << i))) });
    }
    return out;
  }
  // Too many for every subset: in-order prefixes, each sector missing alone, the last alone.
  for (let i = 1; i < n; i++) out.push({ sectors: new Set(sectors.slice(0, i)) });
  for (let i = 0; i < n - 1; i++) out.push({ sectors: new Set(sectors.filter((_, j) => j !== i)) });
  out.push({ sectors: new Set([sectors[n - 1]]) });
  return out;
}

/** The survival variants of a boundary's pending ops. */
function survivals(trace: TraceOp[], pending: number[], options: CrashStatesOptions): Survival[] {
  const out: Survival[] = [{ name: "lose unsynced", keep: [] }];
  if (pending.length === 0) return out;
  out.push({ name: "keep unsynced", keep: [...pending] });
  for (let j = 1; j < pending.length; j++) {
    out.push({ name: `keep first ${j} of ${pending.length} unsynced`, keep: pending.slice(0, j) });
  }
  const data = pending.filter((i) => isData(trace[i]));
  const latest = data.slice(Math.max(0, data.length - options.reorderLast));
  const dirOps = pending.filter((i) => !isData(trace[i]));
  for (const i of latest) {
    if (data.length > 1) {
      out.push({ name: `lose only op ${i}`, keep: pending.filter((p) => p !== i) });
      out.push({ name: `keep only data op ${i}`, keep: [...dirOps, i].sort((a, b) => a - b) });
    }
    const op = trace[i];
    if (op.op !== "write") continue;
    for (const how of tears(op, options.allSubsetsUpTo)) {
      const label = how === "size-only" ? "size only" : `sectors ${[...how.sectors].join(",")}`;
      out.push({
        name: `tear op ${i} (${label}), keep what came before`,
        keep: pending.filter((p) => p <= i),
        tear: { index: i, how },
      });
    }
  }
  return out;
}

function imageOf(
  model: Model,
  trace: TraceOp[],
  survival: Survival,
): Image {
  const files = new Map(model.durable);
  const dirs = copyDirs(model.durableDirs);
  for (const i of survival.keep) {
    apply(files, dirs, trace[i], survival.tear?.index === i ? survival.tear.how : undefined);
  }
  const image: Image = new Map();
  const walk = (dir: string) => {
    for (const [name, inode] of [...(dirs.get(dir) ?? [])].sort()) {
      const path = dir === "" ? name : `${dir}/${name}`;
      if (inode === 0) {
        image.set(path, "dir");
        walk(path);
      } else {
        image.set(path, files.get(inode) ?? new Uint8Array(0));
      }
    }
  };
  walk("");
  return image;
}

/** A 64-bit fingerprint of an image (two FNV-1a variants), to skip duplicate states. */
export function fingerprint(image: Image): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  const mix = (byte: number) => {
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x5bd1e995) ^ (b >>> 13);
  };
  for (const [path, data] of image) {
    for (let i = 0; i < path.length; i++) mix(path.charCodeAt(i));
    mix(0);
    if (data === "dir") {
      mix(1);
      continue;
    }
    for (let i = 0; i < 4; i++) mix((data.length >>> (8 * i)) & 0xff);
    for (let i = 0; i < data.length; i++) mix(data[i]);
  }
  return `${(a >>> 0).toString(16)}${(b >>> 0).toString(16)}`;
}

/**
 * Every crash state of a recorded trace: for each operation boundary, the
 * durable state plus each survival variant of the unsynced operations.
 */
export function* crashStates(trace: TraceOp[], options: CrashStatesOptions): Generator<CrashState> {
  const model: Model = {
    live: new Map(),
    durable: new Map(),
    liveDirs: new Map([["", new Map()]]),
    durableDirs: new Map([["", new Map()]]),
    pending: [],
  };
  for (let boundary = 0; boundary <= trace.length; boundary++) {
    if (options.boundaries?.(boundary) ?? true) {
      for (const survival of survivals(trace, model.pending, options)) {
        yield { boundary, variant: survival.name, image: imageOf(model, trace, survival) };
      }
    }
    if (boundary === trace.length) break;
    const op = trace[boundary];
    if (op.op === "mark") continue;
    if (op.op === "fsync") {
      model.durable.set(op.inode, model.live.get(op.inode)!);
      model.pending = model.pending.filter((i) => {
        const p = trace[i];
        return !(isData(p) && (p as { inode: number }).inode === op.inode);
      });
      continue;
    }
    if (op.op === "syncDir") {
      model.durableDirs.set(op.path, new Map(model.liveDirs.get(op.path)));
      model.pending = model.pending.filter((i) => dirOf(trace[i]) !== op.path);
      continue;
    }
    apply(model.live, model.liveDirs, op);
    if (op.op === "mkdir" && !model.durableDirs.has(op.path)) {
      // A new directory starts empty on disk too; its entry in the parent is pending.
      model.durableDirs.set(op.path, new Map());
    }
    if (op.op === "create" && !model.durable.has(op.inode)) {
      model.durable.set(op.inode, new Uint8Array(0));
    }
    model.pending.push(boundary);
  }
}

/** Write `image` under the real directory `dir`. */
export async function materialise(image: Image, dir: string): Promise<void> {
  for (const [path, data] of image) {
    if (data === "dir") {
      await Deno.mkdir(`${dir}/${path}`, { recursive: true });
    } else {
      const file = await Deno.open(`${dir}/${path}`, { write: true, create: true });
      try {
        await writeAll(file, data);
      } finally {
        file.close();
      }
    }
  }
}
