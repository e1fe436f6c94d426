/**
 * The peers the write-ahead log is measured against: a naive append loop
 * (one write and one fdatasync per record) and what a user would pick
 * instead, SQLite in WAL mode with `synchronous=FULL` via `node:sqlite`.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
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
