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

/** Readings kept in memory after their commit (the newest ones), so the writer need not read back what was just written. */
const TAIL_MAX_READINGS = 50_000;

/** One append, as the tail keeps it: rows firstId..lastId (consecutive: one transaction on one connection). */
interface TailEntry {
  readings: Reading[];
  rowBytes: number[];
  bytes: number;
  firstId: number;
  lastId: number;
}

/**
 * The durable spool: one SQLite table in WAL mode with synchronous = FULL, so that a committed append
 * survives a crash or power loss. Rows are readings in arrival order (rowid); the writer removes them from
 * the front once the store has confirmed them. Depth and bytes are counted in memory, recounted at open.
 *
 * The newest appends are also kept in memory (the tail, at most TAIL_MAX_READINGS): while the writer keeps
 * up, it takes its batches from there, so the disk is only appended to and trimmed, never read back. Rows
 * older than the tail (a backlog past the bound, or what a previous run left) are read from disk first.
 */
export class Spool {
  private readonly db: Database.Database;
  private readonly appendTx: (rows: readonly SpoolRow[]) => { firstId: number; lastId: number };
  private readonly selectOldest: Database.Statement<[number, number, number], Row>;
  private readonly deleteUpTo: Database.Statement<[number]>;
  private readonly selectOldestReceived: Database.Statement<[], number>;
  /** Oldest first; always the newest rows of the table. */
  private tail: TailEntry[] = [];
  private tailReadings = 0;
  private open = true;
  depth: number;
  bytes: number;
  /** Transactions committed by append(): one per group commit. */
  commits = 0;

  constructor(file: string, private readonly tailMax = TAIL_MAX_READINGS) {
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
        let firstId = 0;
        let lastId = 0;
        for (const { reading: r, vals } of rows) {
          lastId = Number(insert.run(r.deviceId, r.domain, r.type, r.ts, r.receivedAt, r.seq ?? null, vals).lastInsertRowid);
          firstId ||= lastId;
        }
        return { firstId, lastId };
      });
      this.selectOldest = this.db.prepare<[number, number, number], Row>('SELECT * FROM spool WHERE id > ? AND id < ? ORDER BY id LIMIT ?');
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
    if (rows.length === 0) return;
    const { firstId, lastId } = this.appendTx(rows);
    this.commits++;
    const readings: Reading[] = new Array(rows.length);
    const sizes: number[] = new Array(rows.length);
    let bytes = 0;
    for (let i = 0; i < rows.length; i++) {
      readings[i] = rows[i]!.reading;
      bytes += sizes[i] = rows[i]!.bytes;
    }
    this.depth += rows.length;
    this.bytes += bytes;
    this.tail.push({ readings, rowBytes: sizes, bytes, firstId, lastId });
    this.tailReadings += rows.length;
    // Past the bound the oldest entries are forgotten here; they stay on disk and are read from there.
    while (this.tailReadings > this.tailMax && this.tail.length > 1) this.tailReadings -= this.tail.shift()!.readings.length;
  }

  /** The oldest readings after row `after` (0: from the start), at most `limit`, in spool order. */
  oldest(limit: number, after = 0): SpoolBatch {
    const tailFirst = this.tail[0]?.firstId ?? Number.MAX_SAFE_INTEGER;
    if (this.depth > this.tailReadings && after < tailFirst - 1) {
      const batch = this.fromDisk(limit, after, tailFirst);
      if (batch.readings.length > 0) return batch;
    }
    let i = 0;
    while (i < this.tail.length && this.tail[i]!.lastId <= after) i++;
    const first = this.tail[i];
    if (!first) return { readings: [], lastId: 0, bytes: 0 };
    const next = this.tail[i + 1];
    // The common case, one whole append that fits (and the next would not): its array is the batch, no copy.
    if (first.firstId > after && first.readings.length <= limit && (!next || first.readings.length + next.readings.length > limit)) {
      return { readings: first.readings, lastId: first.lastId, bytes: first.bytes };
    }
    const readings: Reading[] = [];
    let bytes = 0;
    let lastId = 0;
    for (; i < this.tail.length && readings.length < limit; i++) {
      const e = this.tail[i]!;
      const from = Math.max(0, after + 1 - e.firstId);
      const to = Math.min(e.readings.length, from + limit - readings.length);
      for (let k = from; k < to; k++) {
        readings.push(e.readings[k]!);
        bytes += e.rowBytes[k]!;
      }
      lastId = e.firstId + to - 1;
    }
    return { readings, lastId, bytes };
  }

  /** Up to `limit` rows with after < id < below, read back from disk. */
  private fromDisk(limit: number, after: number, below: number): SpoolBatch {
    const rows = this.selectOldest.all(after, below, limit);
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

  /** Removes batches that oldest() returned, in their order, from the front of the spool (one statement). */
  remove(batches: readonly SpoolBatch[]): void {
    let upTo = 0;
    for (const b of batches) {
      if (b.readings.length === 0) continue;
      upTo = Math.max(upTo, b.lastId);
      this.depth -= b.readings.length;
      this.bytes -= b.bytes;
    }
    if (upTo === 0) return;
    this.deleteUpTo.run(upTo);
    while (this.tail.length > 0 && this.tail[0]!.firstId <= upTo) {
      const e = this.tail[0]!;
      if (e.lastId <= upTo) {
        this.tail.shift();
        this.tailReadings -= e.readings.length;
        continue;
      }
      // Partly written: keep the rest of this append.
      const gone = upTo + 1 - e.firstId;
      for (let k = 0; k < gone; k++) e.bytes -= e.rowBytes[k]!;
      e.readings = e.readings.slice(gone);
      e.rowBytes = e.rowBytes.slice(gone);
      e.firstId = upTo + 1;
      this.tailReadings -= gone;
    }
  }

  /** Receive time of the oldest reading waiting, or null when the spool is empty. */
  oldestReceivedAt(): number | null {
    if (this.depth > 0 && this.depth === this.tailReadings) return this.tail[0]!.readings[0]!.receivedAt;
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
    this.tail = [];
    this.tailReadings = 0;
    this.db.close();
  }
}
