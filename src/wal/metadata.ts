/**
 * The metadata file `journal.json`: `{"version": 2, "id": "<32 hex>"}`,
 * replaced atomically (temp file, fdatasync, rename, fsync the directory).
 *
 * @module
 */
import { CorruptJournalError, JournalError } from "./errors.ts";
import type { FileLayer } from "./file_layer.ts";
import { readFull, writeAll } from "./file_layer.ts";
import { FORMAT_VERSION, META_FILE } from "./format.ts";

/** Contents of the metadata file. */
export interface JournalMeta {
  /** Format version; this code reads and writes 2. */
  version: number;
  /** Journal id: 32 lowercase hex characters, random at creation. */
  id: string;
}

const ID_PATTERN = /^[0-9a-f]{32}$/;

/** A fresh random journal id. */
export function newJournalId(): string {
  return crypto.getRandomValues(new Uint8Array(16)).toHex();
}

/** Read the metadata of `dir`; `null` when the file does not exist. */
export async function readMeta(fs: FileLayer, dir: string): Promise<JournalMeta | null> {
  const path = `${dir}/${META_FILE}`;
  let text: string;
  try {
    const file = await fs.open(path, { read: true });
    try {
      const { size } = await file.stat();
      if (size > 4096) throw new CorruptJournalError(path, 0, "bad metadata");
      const buf = new Uint8Array(size);
      await readFull(file, buf);
      text = new TextDecoder().decode(buf);
    } finally {
      file.close();
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CorruptJournalError(path, 0, "bad metadata", { cause: e });
  }
  const meta = parsed as Partial<JournalMeta> | null;
  if (typeof meta !== "object" || meta === null || typeof meta.version !== "number") {
    throw new CorruptJournalError(path, 0, "bad metadata");
  }
  if (meta.version !== FORMAT_VERSION) {
    throw new JournalError(
      `Cannot open journal "${dir}": format version "${meta.version}" is not supported, expected "${FORMAT_VERSION}"`,
    );
  }
  if (typeof meta.id !== "string" || !ID_PATTERN.test(meta.id)) {
    throw new CorruptJournalError(path, 0, "bad metadata");
  }
  return { version: meta.version, id: meta.id };
}

/** Write the metadata of `dir` atomically and durably. */
export async function writeMeta(fs: FileLayer, dir: string, meta: JournalMeta): Promise<void> {
  const path = `${dir}/${META_FILE}`;
  const temp = `${path}.tmp`;
  const file = await fs.open(temp, { write: true, create: true, truncate: true });
  try {
    await writeAll(file, new TextEncoder().encode(JSON.stringify(meta) + "\n"));
    await file.syncData();
  } finally {
    file.close();
  }
  await fs.rename(temp, path);
  await fs.syncDir(dir);
}
