import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import Database from 'better-sqlite3';
import type { Reading } from '../../core/index.js';
import type { SavedSeqs, SpoolAppend, SpoolBatch, SpoolStore } from '../spool-ports.js';

// Per-append cost beyond the body (integers, row header, b-tree and page slack).
const APPEND_OVERHEAD = 64;

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
const blob = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/**
 * The spool's log in one SQLite file, WAL with synchronous = FULL, so that a committed append survives a crash or
 * power loss. Each append is one row of `spool_appends` (its readings as one body): one INSERT per group commit and
 * one DELETE per removal, not one statement per reading (measured: per-reading rows cost about 2 µs per reading to
 * insert and delete, a large share of the whole pipeline). `spool_state` keeps the sinks' positions
 * (`position:{sink}`) and the stop marker, `seq_memory` the seqs a graceful stop saved.
 *
 * `sinks` names the log's readers: with one, its position is what is left in the table, and nothing more is
 * written than the DELETE that removes what it confirmed.
 */
export function createSqliteSpoolStore(opts: { file: string; sinks: readonly string[] }): SpoolStore {
  if (opts.sinks.length === 0) throw new Error('a spool needs at least one sink');
  mkdirSync(dirname(opts.file), { recursive: true });
  const db = new Database(opts.file);
  try {
    return openLog(db, opts.sinks);
  } catch (err) {
    db.close();
    throw err;
  }
}

function openLog(db: Database.Database, sinks: readonly string[]): SpoolStore {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('journal_size_limit = 16777216');
  const existed = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'spool_appends'").get() !== undefined;
  db.exec('CREATE TABLE IF NOT EXISTS spool_state (key TEXT PRIMARY KEY, value REAL NOT NULL)');
  // Read once and removed: a run that dies before markStopped() leaves no marker, and the next one knows.
  const stoppedAt = db.prepare<[], number>("SELECT value FROM spool_state WHERE key = 'stopped_at'").pluck().get();
  db.exec("DELETE FROM spool_state WHERE key = 'stopped_at'");
  db.exec(`CREATE TABLE IF NOT EXISTS spool_appends (
    id INTEGER PRIMARY KEY,
    n INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    body BLOB NOT NULL
  )`);
  // The seq memory a graceful stop saved: one row per device, seqs and times as float64 arrays.
  db.exec('CREATE TABLE IF NOT EXISTS seq_memory (device_id TEXT PRIMARY KEY, seqs BLOB NOT NULL, times BLOB NOT NULL)');

  const s = {
    insert: db.prepare<[number, number, number, number, Buffer]>('INSERT INTO spool_appends (id, n, bytes, received_at, body) VALUES (?, ?, ?, ?, ?)'),
    selectBetween: db.prepare<[number, number], AppendRow>('SELECT id, n, bytes, body FROM spool_appends WHERE id > ? AND id < ? ORDER BY id'),
    deleteUpTo: db.prepare<[number]>('DELETE FROM spool_appends WHERE id <= ?'),
    oldestReceived: db.prepare<[], number>('SELECT received_at FROM spool_appends ORDER BY id LIMIT 1').pluck(),
    sumBetween: db.prepare<[number, number], { n: number; bytes: number }>('SELECT coalesce(sum(n), 0) AS n, coalesce(sum(bytes), 0) AS bytes FROM spool_appends WHERE id > ? AND id <= ?'),
    savePosition: db.prepare<[string, number]>("INSERT OR REPLACE INTO spool_state (key, value) VALUES ('position:' || ?, ?)"),
    savedPosition: db.prepare<[string], number>("SELECT value FROM spool_state WHERE key = 'position:' || ?").pluck(),
  };

  /** The newest append's id: ids only grow, also once the table was emptied (where SQLite's rowid starts at 1 again). */
  let lastId = db.prepare<[], number>('SELECT coalesce(max(id), 0) FROM spool_appends').pluck().get()!;
  const insertAppend = (readings: readonly Reading[]): SpoolAppend => {
    const body = serialize(readings);
    const bytes = body.length + APPEND_OVERHEAD;
    let receivedAt = readings[0]!.receivedAt;
    for (const r of readings) if (r.receivedAt < receivedAt) receivedAt = r.receivedAt;
    s.insert.run(lastId + 1, readings.length, bytes, receivedAt, body);
    return { id: ++lastId, bytes, receivedAt }; // lastId moves only once the INSERT succeeded
  };
  migrateRowsPerReading(db, insertAppend);
  // An emptied table starts its ids at 1 again: they must stay past every saved position.
  for (const p of db.prepare<[], number>("SELECT value FROM spool_state WHERE key LIKE 'position:%'").pluck().all()) if (p > lastId) lastId = p;
  const firstId = db.prepare<[], number | null>('SELECT min(id) FROM spool_appends').pluck().get() ?? null;
  let removedUpTo = firstId === null ? lastId : firstId - 1;
  const positions = new Map<string, number>();
  let open = true;

  const advance = db.transaction((sink: string, position: number, removeThrough: number) => {
    // The only sink, removing what it confirmed: what is left is its position, and saving it would add a write.
    if (sinks.length > 1 || sink !== sinks[0] || removeThrough < position) s.savePosition.run(sink, position);
    if (removeThrough > 0) s.deleteUpTo.run(removeThrough);
  });

  return {
    previousRun: !existed ? 'fresh' : stoppedAt !== undefined ? 'stopped' : 'unknown',
    ...(stoppedAt !== undefined ? { stoppedAt } : {}),
    get lastId() { return lastId; },
    get removedUpTo() { return removedUpTo; },

    append(readings) {
      if (readings.length === 0) throw new Error('an append needs at least one reading');
      return insertAppend(readings);
    },

    read(after, limit, below = Number.MAX_SAFE_INTEGER) {
      const readings: Reading[] = [];
      let bytes = 0;
      let last = 0;
      for (const row of s.selectBetween.iterate(after, below)) {
        if (readings.length > 0 && readings.length + row.n > limit) break; // ends the iteration (and the statement)
        for (const r of decodeBody(row.body)) readings.push(r);
        bytes += row.bytes;
        last = row.id;
      }
      return { readings, lastId: last, bytes } satisfies SpoolBatch;
    },

    count: (after, upTo) => ({ ...s.sumBetween.get(after, upTo)! }),

    position(sink) {
      let p = positions.get(sink);
      if (p === undefined) positions.set(sink, (p = Math.min(lastId, Math.max(s.savedPosition.get(sink) ?? 0, removedUpTo))));
      return Math.max(p, removedUpTo);
    },

    advance(sink, position, removeThrough) {
      advance(sink, position, removeThrough);
      // Only once the statements succeeded: on failure nothing moved, and the sink delivers its batches again.
      positions.set(sink, position);
      if (removeThrough > removedUpTo) removedUpTo = removeThrough;
    },

    oldestReceivedAt: () => s.oldestReceived.get() ?? null,

    *savedSeqs() {
      for (const row of db.prepare<[], { device_id: string; seqs: Buffer; times: Buffer }>('SELECT device_id, seqs, times FROM seq_memory').iterate()) {
        yield { deviceId: row.device_id, seqs: float64s(row.seqs), times: float64s(row.times) };
      }
    },

    saveSeqs(devices: Iterable<SavedSeqs>) {
      const insert = db.prepare<[string, Buffer, Buffer]>('INSERT INTO seq_memory (device_id, seqs, times) VALUES (?, ?, ?)');
      db.transaction(() => {
        db.exec('DELETE FROM seq_memory');
        for (const d of devices) if (d.seqs.length > 0) insert.run(d.deviceId, blob(d.seqs), blob(d.times));
      })();
    },

    markStopped(at) {
      db.prepare("INSERT OR REPLACE INTO spool_state (key, value) VALUES ('stopped_at', ?)").run(at);
    },

    close() {
      if (!open) return;
      open = false;
      db.close();
    },
  };
}

/** A 0.1 spool (one row per reading, table `spool`) is moved into appends, in order, once. */
function migrateRowsPerReading(db: Database.Database, insertAppend: (readings: Reading[]) => void): void {
  const old = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'spool'").get();
  if (!old) return;
  db.transaction(() => {
    type OldRow = { device_id: string; domain: string; type: string; ts: number; received_at: number; seq: number | null; vals: string };
    let chunk: Reading[] = [];
    const flush = () => {
      if (chunk.length) insertAppend(chunk);
      chunk = [];
    };
    for (const row of db.prepare<[], OldRow>('SELECT * FROM spool ORDER BY id').iterate()) {
      const r: Reading = { deviceId: row.device_id, domain: row.domain, type: row.type, ts: row.ts, receivedAt: row.received_at, values: JSON.parse(row.vals) };
      if (row.seq !== null) r.seq = row.seq;
      chunk.push(r);
      if (chunk.length === 5000) flush();
    }
    flush();
    db.exec('DROP TABLE spool');
  })();
}
