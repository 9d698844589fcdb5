import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Reading } from '../core/index.js';

/** A reading ready to be spooled: its values already serialised, its size estimated. */
export interface SpoolRow {
  reading: Reading;
  vals: string;
  bytes: number;
}

/** The oldest readings in the spool, and what removing them frees. */
export interface SpoolBatch {
  readings: Reading[];
  lastId: number;
  bytes: number;
}

// Per-row cost beyond the strings (integers, row header, b-tree and page slack). Measured: about 31 bytes
// for 200k gas readings; 40 keeps the estimate a little above the file size, so the bound errs on the safe side.
const ROW_OVERHEAD = 40;
// The same estimate in SQL, to recount the bytes of what a previous run left.
const ROW_BYTES_SQL = `length(vals) + length(device_id) + length(domain) + length(type) + ${ROW_OVERHEAD}`;

/** The spool's size estimate of one reading. */
export function rowBytes(r: Reading, vals: string): number {
  return vals.length + r.deviceId.length + r.domain.length + r.type.length + ROW_OVERHEAD;
}

interface Row {
  id: number;
  device_id: string;
  domain: string;
  type: string;
  ts: number;
  received_at: number;
  seq: number | null;
  vals: string;
}

/**
 * The durable spool: one SQLite table in WAL mode with synchronous = FULL, so that a committed append
 * survives a crash or power loss. Rows are readings in arrival order (rowid); the writer removes them from
 * the front once the store has confirmed them. Depth and bytes are counted in memory, recounted at open.
 */
export class Spool {
  private readonly db: Database.Database;
  private readonly appendTx: (rows: readonly SpoolRow[]) => void;
  private readonly selectOldest: Database.Statement<[number], Row>;
  private readonly deleteUpTo: Database.Statement<[number]>;
  private readonly selectOldestReceived: Database.Statement<[], number>;
  private open = true;
  depth: number;
  bytes: number;
  /** Transactions committed by append(): one per group commit. */
  commits = 0;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('journal_size_limit = 16777216');
      this.db.exec(`CREATE TABLE IF NOT EXISTS spool (
        id INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL,
        domain TEXT NOT NULL,
        type TEXT NOT NULL,
        ts INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        seq INTEGER,
        vals TEXT NOT NULL
      )`);
      const insert = this.db.prepare<[string, string, string, number, number, number | null, string]>(
        'INSERT INTO spool (device_id, domain, type, ts, received_at, seq, vals) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      this.appendTx = this.db.transaction((rows: readonly SpoolRow[]) => {
        for (const { reading: r, vals } of rows) insert.run(r.deviceId, r.domain, r.type, r.ts, r.receivedAt, r.seq ?? null, vals);
      });
      this.selectOldest = this.db.prepare<[number], Row>('SELECT * FROM spool ORDER BY id LIMIT ?');
      this.deleteUpTo = this.db.prepare<[number]>('DELETE FROM spool WHERE id <= ?');
      this.selectOldestReceived = this.db.prepare<[], number>('SELECT received_at FROM spool ORDER BY id LIMIT 1').pluck();
      const counted = this.db.prepare(`SELECT count(*) AS n, coalesce(sum(${ROW_BYTES_SQL}), 0) AS bytes FROM spool`).get() as { n: number; bytes: number };
      this.depth = counted.n;
      this.bytes = counted.bytes;
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Appends rows in one transaction; when it returns they are on disk. Throws (and keeps nothing) on failure. */
  append(rows: readonly SpoolRow[]): void {
    this.appendTx(rows);
    this.commits++;
    this.depth += rows.length;
    for (const r of rows) this.bytes += r.bytes;
  }

  /** The oldest `limit` readings, in spool order. */
  oldest(limit: number): SpoolBatch {
    const rows = this.selectOldest.all(limit);
    const readings: Reading[] = new Array(rows.length);
    let bytes = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const r: Reading = { deviceId: row.device_id, domain: row.domain, type: row.type, ts: row.ts, receivedAt: row.received_at, values: JSON.parse(row.vals) };
      if (row.seq !== null) r.seq = row.seq;
      readings[i] = r;
      bytes += rowBytes(r, row.vals);
    }
    return { readings, lastId: rows.length ? rows[rows.length - 1]!.id : 0, bytes };
  }

  /** Removes a batch that oldest() returned (and that nothing removed since). */
  remove(batch: SpoolBatch): void {
    if (batch.readings.length === 0) return;
    this.deleteUpTo.run(batch.lastId);
    this.depth -= batch.readings.length;
    this.bytes -= batch.bytes;
  }

  /** Receive time of the oldest reading waiting, or null when the spool is empty. */
  oldestReceivedAt(): number | null {
    return this.selectOldestReceived.get() ?? null;
  }

  /** Every spooled (device, seq, ts, receivedAt) with a seq, in spool order, streamed from disk. */
  *seqs(): Generator<{ deviceId: string; seq: number; ts: number; receivedAt: number }> {
    const stmt = this.db.prepare<[], { deviceId: string; seq: number; ts: number; receivedAt: number }>(
      'SELECT device_id AS deviceId, seq, ts, received_at AS receivedAt FROM spool WHERE seq IS NOT NULL ORDER BY id',
    );
    yield* stmt.iterate();
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.db.close();
  }
}
