/**
 * The peers the write-ahead log is measured against: a naive append loop
 * (one write and one fdatasync per record) and what a user would pick
 * instead, SQLite in WAL mode with `synchronous=FULL` via `node:sqlite`.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import type { Hashers } from "../src/wal/checksums.ts";
import { HEADER_SIZE } from "../src/wal/format.ts";
import { placeRecord, sealRecord } from "../src/wal/record_codec.ts";
import type { BenchCase } from "./wal_measure.ts";

/** Writes all of `bytes`, looping over short writes. */
async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await file.write(bytes.subarray(done));
}

/**
 * Naive baseline: open a file, and for each record write a 4-byte length and
 * the payload, then fdatasync before the next record. With `blocking`, the
 * write and fdatasync are Deno's blocking calls (`writeSync`, `syncDataSync`),
 * which skip the thread-pool round trip of the async calls.
 */
export function naiveCase(
  pool: Uint8Array[],
  records: number,
  warmupRecords: number,
  blocking = false,
): BenchCase {
  return {
    name: blocking ? "naive, blocking calls" : "naive write + fdatasync",
    records,
    warmupRecords,
    async run(dir, n) {
      using file = await Deno.open(join(dir, "naive.log"), {
        create: true,
        write: true,
        append: true,
      });
      const frame = new Uint8Array(4 + pool[0].length);
      const view = new DataView(frame.buffer);
      for (let i = 0; i < n; i++) {
        const payload = pool[i % pool.length];
        view.setUint32(0, payload.length, true);
        frame.set(payload, 4);
        if (blocking) {
          let done = 0;
          while (done < frame.length) done += file.writeSync(frame.subarray(done));
          file.syncDataSync();
        } else {
          await writeAll(file, frame);
          await file.syncData();
        }
      }
    },
  };
}

/** Name of the grouped peer's preallocated file. */
const GROUPED_FILE = "grouped.log";

/**
 * The disk's limit for `group` records per flush: the records framed as the
 * journal frames them (a header of the journal's size, then the payload),
 * `group` at a time in one blocking `writeSync` and one blocking
 * `syncDataSync`, into a file whose space was written with zeros and synced
 * beforehand (untimed), as the journal's active segment is. No hashing, no
 * thread hand-off, no bookkeeping: what `group` concurrent appenders could
 * reach if the log cost nothing but the disk.
 *
 * With `seal`, each record is also sealed as the journal seals it (BLAKE3
 * and CRC-32C into its header, `sealRecord`) before the write: the disk and
 * the hashing alone, measured rather than added up. On a VM the time the
 * thread spends between two fdatasyncs makes the next one slower, so this
 * bound is lower than the disk's figure and the hashing's time summed.
 */
export function groupedSyncCase(
  pool: Uint8Array[],
  group: number,
  records: number,
  warmupRecords: number,
  seal?: Hashers,
): BenchCase {
  const frameBytes = HEADER_SIZE + pool[0].length;
  return {
    name: `${group} records per blocking write + fdatasync, preallocated${seal ? ", sealed" : ""}`,
    records,
    warmupRecords,
    async prepare(dir, n) {
      using file = await Deno.open(join(dir, GROUPED_FILE), { create: true, write: true });
      const zeros = new Uint8Array(1024 * 1024);
      for (let left = n * frameBytes; left > 0; left -= zeros.length) {
        await writeAll(file, zeros.subarray(0, Math.min(left, zeros.length)));
      }
      await file.sync();
    },
    run(dir, n) {
      using file = Deno.openSync(join(dir, GROUPED_FILE), { write: true });
      const frames = new Uint8Array(group * frameBytes);
      for (let i = 0; i < n; i += group) {
        const count = Math.min(group, n - i);
        for (let j = 0, at = 0; j < count; j++) {
          const start = at;
          at = placeRecord(pool[(i + j) % pool.length], frames, at);
          if (seal !== undefined) sealRecord(seal, frames, start);
        }
        const bytes = frames.subarray(0, count * frameBytes);
        let done = 0;
        while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
        file.syncDataSync();
      }
      return Promise.resolve();
    },
  };
}

/** Opens a SQLite database in WAL mode with `synchronous=FULL` and one blob table. */
function openSqlite(dir: string): DatabaseSync {
  const db = new DatabaseSync(join(dir, "bench.sqlite"));
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("PRAGMA synchronous=FULL");
  db.exec("CREATE TABLE log (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)");
  return db;
}

/**
 * SQLite peer: inserts 256-byte blobs, `rowsPerTransaction` rows per commit
 * (1 = autocommit, one commit per row).
 */
export function sqliteCase(
  pool: Uint8Array[],
  rowsPerTransaction: number,
  records: number,
  warmupRecords: number,
): BenchCase {
  return {
    name: rowsPerTransaction === 1
      ? "SQLite autocommit"
      : `SQLite ${rowsPerTransaction.toLocaleString("en-US")}-row txn`,
    records,
    warmupRecords,
    run(dir, n) {
      const db = openSqlite(dir);
      try {
        const insert = db.prepare("INSERT INTO log (payload) VALUES (?)");
        if (rowsPerTransaction === 1) {
          for (let i = 0; i < n; i++) insert.run(pool[i % pool.length]);
        } else {
          for (let i = 0; i < n; i += rowsPerTransaction) {
            db.exec("BEGIN");
            const end = Math.min(n, i + rowsPerTransaction);
            for (let j = i; j < end; j++) insert.run(pool[j % pool.length]);
            db.exec("COMMIT");
          }
        }
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
  };
}
