import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import Database from 'better-sqlite3';
import type { Reading } from '../core/index.js';

/** The oldest readings in the spool (one or more whole appends), and what removing them frees. */
export interface SpoolBatch {
  readings: Reading[];
  lastId: number;
  bytes: number;
}

// Per-append cost beyond the body (integers, row header, b-tree and page slack).
const APPEND_OVERHEAD = 64;

/**
 * The spool's size estimate of one reading before it is committed: its strings and a JSON object's keys. It errs
 * high (values are counted at their payload size), so the bound is never passed by more than one turn's estimate.
 */
export function rowBytes(r: Reading, payloadBytes: number): number {
  return payloadBytes + r.deviceId.length + r.domain.length + r.type.length + 90;
}

interface AppendRow {
  id: number;
  n: number;
  bytes: number;
  body: Buffer | string;
}

/**
 * An append's body is V8's serialization of its readings (the structured-clone format): about a third cheaper to
 * write than JSON, on the main thread before every PUBACK. Appends that earlier builds wrote as JSON text still read.
 */
const decodeBody = (body: Buffer | string): Reading[] => (typeof body === 'string' ? JSON.parse(body) : deserialize(body)) as Reading[];

/** A float64 array stored as a BLOB, read back (copied: a Buffer from SQLite need not be 8-byte aligned). */
const float64s = (b: Buffer): Float64Array => new Float64Array(new Uint8Array(b).buffer, 0, Math.floor(b.length / 8));

/** Readings kept in memory after their commit (the newest ones), so the writer need not read back what was just written. */
const TAIL_MAX_READINGS = 50_000;

/** One append, as the tail keeps it. */
interface TailEntry {
  id: number;
  readings: Reading[];
  bytes: number;
  /** The earliest receive time among its readings. */
  receivedAt: number;
}

/**
 * The durable spool: one SQLite table in WAL mode with synchronous = FULL, so that a committed append survives a
 * crash or power loss. Each group commit is one row (its readings serialized as one body), in arrival order (id):
 * one INSERT per commit and one DELETE per stored batch, not one statement per reading (measured: per-reading
 * rows cost about 2 µs per reading to insert and delete, a large share of the whole pipeline). Rows leave from the
 * front once every sink (the store, the event stream …) confirmed them. Depth and bytes are counted in memory, recounted at open.
 *
 * The newest appends are also kept in memory (the tail, at most TAIL_MAX_READINGS): while the writer keeps
 * up, it takes its batches from there, so the disk is only appended to and trimmed, never read back. Rows
 * older than the tail (a backlog past the bound, or what a previous run left) are read from disk first.
 */
export class Spool {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[number, number, number, number, Buffer]>;
  /** The newest append's id: ids only grow, also once the table was emptied (where SQLite's rowid starts at 1 again). */
  private lastId: number;
  private readonly selectAfter: Database.Statement<[number, number], AppendRow>;
  private readonly deleteUpTo: Database.Statement<[number]>;
  private readonly selectOldestReceived: Database.Statement<[], number>;
  private readonly sumBetween: Database.Statement<[number, number], { n: number; bytes: number }>;
  private readonly savePosition: Database.Statement<[string, number]>;
  /** Rows with an id up to this one are deleted (every sink confirmed them). */
  private removedUpTo: number;
  /** Per sink (in the order of `sinks`), the last append id it confirmed. */
  private readonly positions: number[];
  /** Per sink, the readings after its position (what it still has to deliver). */
  private readonly pendingReadings: number[];
  /** Oldest first; always the newest rows of the table. */
  private tail: TailEntry[] = [];
  private tailReadings = 0;
  private open = true;
  depth: number;
  bytes: number;
  /** Transactions committed by append(): one per group commit. */
  commits = 0;
  /**
   * How the previous run ended: `fresh` (no spool before), `stopped` (close() said so, with `stoppedAt`), or
   * `unknown` (it was killed, or an older build wrote no marker).
   */
  readonly previousRun: 'fresh' | 'stopped' | 'unknown';
  /** With `stopped`: the latest time the previous run may have given a reading (see Ingest's receive times). */
  readonly stoppedAt?: number;

  /**
   * `sinks` names the spool's consumers (the store writer first): each has its own position, kept in
   * `spool_state` when there are several (with one, what is left in the table is its position).
   */
  constructor(file: string, private readonly tailMax = TAIL_MAX_READINGS, readonly sinks: readonly string[] = ['store']) {
    if (sinks.length === 0) throw new Error('a spool needs at least one sink');
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('journal_size_limit = 16777216');
      const existed = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'spool_appends'").get() !== undefined;
      this.db.exec('CREATE TABLE IF NOT EXISTS spool_state (key TEXT PRIMARY KEY, value REAL NOT NULL)');
      // Read once and removed: a run that dies before close() leaves no marker, and the next one knows.
      const stopped = this.db.prepare<[], number>("SELECT value FROM spool_state WHERE key = 'stopped_at'").pluck().get();
      this.db.exec("DELETE FROM spool_state WHERE key = 'stopped_at'");
      this.previousRun = !existed ? 'fresh' : stopped !== undefined ? 'stopped' : 'unknown';
      if (stopped !== undefined) this.stoppedAt = stopped;
      this.db.exec(`CREATE TABLE IF NOT EXISTS spool_appends (
        id INTEGER PRIMARY KEY,
        n INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        body BLOB NOT NULL
      )`);
      // The seq memory a graceful stop saved (SeqMemory.newest): one row per device, seqs and times as float64 arrays.
      this.db.exec('CREATE TABLE IF NOT EXISTS seq_memory (device_id TEXT PRIMARY KEY, seqs BLOB NOT NULL, times BLOB NOT NULL)');
      this.insert = this.db.prepare('INSERT INTO spool_appends (id, n, bytes, received_at, body) VALUES (?, ?, ?, ?, ?)');
      this.lastId = this.db.prepare<[], number>('SELECT coalesce(max(id), 0) FROM spool_appends').pluck().get()!;
      this.migrateRowsPerReading();
      this.selectAfter = this.db.prepare<[number, number], AppendRow>('SELECT id, n, bytes, body FROM spool_appends WHERE id > ? AND id < ? ORDER BY id');
      this.deleteUpTo = this.db.prepare<[number]>('DELETE FROM spool_appends WHERE id <= ?');
      this.selectOldestReceived = this.db.prepare<[], number>('SELECT received_at FROM spool_appends ORDER BY id LIMIT 1').pluck();
      const counted = this.db.prepare('SELECT coalesce(sum(n), 0) AS n, coalesce(sum(bytes), 0) AS bytes FROM spool_appends').get() as { n: number; bytes: number };
      this.depth = counted.n;
      this.bytes = counted.bytes;
      this.sumBetween = this.db.prepare<[number, number], { n: number; bytes: number }>(
        'SELECT coalesce(sum(n), 0) AS n, coalesce(sum(bytes), 0) AS bytes FROM spool_appends WHERE id > ? AND id <= ?',
      );
      this.savePosition = this.db.prepare<[string, number]>("INSERT OR REPLACE INTO spool_state (key, value) VALUES ('position:' || ?, ?)");
      const saved = this.db.prepare<[string], number>("SELECT value FROM spool_state WHERE key = 'position:' || ?").pluck();
      const savedPositions = sinks.map((name) => saved.get(name));
      // A table emptied by the last confirm starts its ids at 1 again: ids must stay past every saved position.
      for (const p of savedPositions) if (p !== undefined && p > this.lastId) this.lastId = p;
      const firstId = this.db.prepare<[], number | null>('SELECT min(id) FROM spool_appends').pluck().get() ?? null;
      this.removedUpTo = firstId === null ? this.lastId : firstId - 1;
      // A sink new to this spool (or back after rows it never saw were removed) starts at the oldest row kept.
      this.positions = savedPositions.map((p) => Math.min(this.lastId, Math.max(p ?? 0, this.removedUpTo)));
      this.pendingReadings = this.positions.map((p) => (p === this.removedUpTo ? this.depth : this.sumBetween.get(p, this.lastId)!.n));
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /** A 0.1 spool (one row per reading, table `spool`) is moved into appends, in order, once. */
  private migrateRowsPerReading(): void {
    const old = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'spool'").get();
    if (!old) return;
    this.db.transaction(() => {
      type OldRow = { device_id: string; domain: string; type: string; ts: number; received_at: number; seq: number | null; vals: string };
      let chunk: Reading[] = [];
      const flush = () => {
        if (chunk.length) this.insertAppend(chunk);
        chunk = [];
      };
      for (const row of this.db.prepare<[], OldRow>('SELECT * FROM spool ORDER BY id').iterate()) {
        const r: Reading = { deviceId: row.device_id, domain: row.domain, type: row.type, ts: row.ts, receivedAt: row.received_at, values: JSON.parse(row.vals) };
        if (row.seq !== null) r.seq = row.seq;
        chunk.push(r);
        if (chunk.length === 5000) flush();
      }
      flush();
      this.db.exec('DROP TABLE spool');
    })();
  }

  /** Inserts one row; lastId moves only once the INSERT succeeded. */
  private insertAppend(readings: Reading[]): TailEntry {
    const body = serialize(readings);
    const bytes = body.length + APPEND_OVERHEAD;
    let receivedAt = readings[0]!.receivedAt;
    for (const r of readings) if (r.receivedAt < receivedAt) receivedAt = r.receivedAt;
    this.insert.run(this.lastId + 1, readings.length, bytes, receivedAt, body);
    return { id: ++this.lastId, readings, bytes, receivedAt };
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Appends readings as one row (one transaction); when it returns they are on disk. Throws (and keeps nothing) on failure. */
  append(readings: Reading[]): void {
    if (readings.length === 0) return;
    const entry = this.insertAppend(readings);
    this.commits++;
    this.depth += readings.length;
    this.bytes += entry.bytes;
    this.tail.push(entry);
    this.tailReadings += readings.length;
    for (let i = 0; i < this.pendingReadings.length; i++) this.pendingReadings[i]! += readings.length;
    // Past the bound the oldest entries are forgotten here; they stay on disk and are read from there.
    while (this.tailReadings > this.tailMax && this.tail.length > 1) this.tailReadings -= this.tail.shift()!.readings.length;
  }

  /**
   * The oldest readings after append `after` (0: from the start): whole appends, as many as fit in `limit`
   * readings, and always at least one (an append larger than `limit` comes whole). In spool order.
   */
  oldest(limit: number, after = 0): SpoolBatch {
    const tailFirst = this.tail[0]?.id ?? Number.MAX_SAFE_INTEGER;
    if (this.depth > this.tailReadings && after < tailFirst - 1) {
      const batch = this.fromDisk(limit, after, tailFirst);
      if (batch.readings.length > 0) return batch;
    }
    let i = 0;
    while (i < this.tail.length && this.tail[i]!.id <= after) i++;
    const first = this.tail[i];
    if (!first) return { readings: [], lastId: 0, bytes: 0 };
    let end = i + 1;
    let count = first.readings.length;
    while (end < this.tail.length && count + this.tail[end]!.readings.length <= limit) count += this.tail[end++]!.readings.length;
    // The common case, one append: its array is the batch, no copy.
    if (end === i + 1) return { readings: first.readings, lastId: first.id, bytes: first.bytes };
    const readings: Reading[] = [];
    let bytes = 0;
    for (let k = i; k < end; k++) {
      const e = this.tail[k]!;
      for (const r of e.readings) readings.push(r);
      bytes += e.bytes;
    }
    return { readings, lastId: this.tail[end - 1]!.id, bytes };
  }

  /** Whole appends with after < id < below, read back from disk. */
  private fromDisk(limit: number, after: number, below: number): SpoolBatch {
    const readings: Reading[] = [];
    let bytes = 0;
    let lastId = 0;
    for (const row of this.selectAfter.iterate(after, below)) {
      if (readings.length > 0 && readings.length + row.n > limit) break; // ends the iteration (and the statement)
      for (const r of decodeBody(row.body)) readings.push(r);
      bytes += row.bytes;
      lastId = row.id;
    }
    return { readings, lastId, bytes };
  }

  /** The last append id that sink `sink` (its index in `sinks`) confirmed. */
  position = (sink: number): number => this.positions[sink]!;
  /** Readings sink `sink` has still to deliver. */
  pending = (sink: number): number => this.pendingReadings[sink]!;

  /**
   * Sink `sink` delivered batches that oldest() returned after its position, in their order: its position moves
   * past them, and rows every sink is past are removed from the front of the spool (one statement). With several
   * sinks the position is saved in the same transaction, so a restart resumes each sink where it was.
   */
  confirm(sink: number, batches: readonly SpoolBatch[]): void {
    let upTo = this.positions[sink]!;
    let n = 0;
    for (const b of batches) {
      if (b.readings.length === 0) continue;
      upTo = Math.max(upTo, b.lastId);
      n += b.readings.length;
    }
    if (upTo === this.positions[sink]) return;
    let min = upTo;
    for (let i = 0; i < this.positions.length; i++) if (i !== sink && this.positions[i]! < min) min = this.positions[i]!;
    let freed = { n: 0, bytes: 0 };
    const removeThrough = min > this.removedUpTo ? min : 0;
    if (this.positions.length === 1) {
      if (removeThrough) freed = this.removeRows(removeThrough);
    } else {
      this.db.transaction(() => {
        this.savePosition.run(this.sinks[sink]!, upTo);
        if (removeThrough) freed = this.removeRows(removeThrough);
      })();
    }
    // Only once the statements succeeded: on failure nothing moved, and the sink delivers the batches again.
    this.positions[sink] = upTo;
    this.pendingReadings[sink]! -= n;
    if (!removeThrough) return;
    this.removedUpTo = removeThrough;
    this.depth -= freed.n;
    this.bytes -= freed.bytes;
    while (this.tail.length > 0 && this.tail[0]!.id <= removeThrough) this.tailReadings -= this.tail.shift()!.readings.length;
  }

  /** Deletes rows up to `upTo` and says what they held: from the tail, and from disk for rows older than the tail. */
  private removeRows(upTo: number): { n: number; bytes: number } {
    const tailFirst = this.tail[0]?.id ?? this.lastId + 1;
    const freed = this.removedUpTo + 1 < tailFirst ? { ...this.sumBetween.get(this.removedUpTo, Math.min(upTo, tailFirst - 1))! } : { n: 0, bytes: 0 };
    for (const e of this.tail) {
      if (e.id > upTo) break;
      freed.n += e.readings.length;
      freed.bytes += e.bytes;
    }
    this.deleteUpTo.run(upTo);
    return freed;
  }

  /** Receive time of the oldest reading kept, or null when the spool is empty. */
  oldestReceivedAt(): number | null {
    if (this.depth > 0 && this.depth === this.tailReadings) return this.tail[0]!.receivedAt;
    return this.selectOldestReceived.get() ?? null;
  }

  /**
   * The seqs to remember at start, oldest first: those the last graceful stop saved, then those of every spooled
   * reading. `time` is the device time a seq came with, NaN when it had none.
   */
  *seqs(): Generator<{ deviceId: string; seq: number; time: number }> {
    type Saved = { device_id: string; seqs: Buffer; times: Buffer };
    for (const row of this.db.prepare<[], Saved>('SELECT device_id, seqs, times FROM seq_memory').iterate()) {
      const seqs = float64s(row.seqs);
      const times = float64s(row.times);
      for (let i = 0; i < seqs.length; i++) yield { deviceId: row.device_id, seq: seqs[i]!, time: times[i]! };
    }
    for (const body of this.db.prepare<[], Buffer | string>('SELECT body FROM spool_appends ORDER BY id').pluck().iterate()) {
      for (const r of decodeBody(body)) {
        if (r.seq !== undefined) yield { deviceId: r.deviceId, seq: r.seq, time: r.ts !== r.receivedAt ? r.ts : Number.NaN };
      }
    }
  }

  /** Records a clean stop, and the latest time this run gave a reading (read by the next run, see previousRun). */
  markStopped(at: number): void {
    this.db.prepare("INSERT OR REPLACE INTO spool_state (key, value) VALUES ('stopped_at', ?)").run(at);
  }

  /** Replaces the saved seq memory (one transaction). */
  saveSeqs(devices: Iterable<{ deviceId: string; seqs: Float64Array; times: Float64Array }>): void {
    const insert = this.db.prepare<[string, Buffer, Buffer]>('INSERT INTO seq_memory (device_id, seqs, times) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      this.db.exec('DELETE FROM seq_memory');
      for (const d of devices) {
        if (d.seqs.length > 0) insert.run(d.deviceId, Buffer.from(d.seqs.buffer, d.seqs.byteOffset, d.seqs.byteLength), Buffer.from(d.times.buffer, d.times.byteOffset, d.times.byteLength));
      }
    })();
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.tail = [];
    this.tailReadings = 0;
    this.db.close();
  }
}
