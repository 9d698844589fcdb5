import type { DeadLetter } from '../../core/index.js';
import type { DeadLetterSelection, DeadLetterStore, StoredDeadLetter } from '../ports.js';
import { DEAD_LETTER_MAX_BYTES, LETTER_COLUMNS as COLUMNS, toLetter, type LetterRow } from '../rows.js';
import type { SqliteDb } from './open.js';

/**
 * Refused messages on the `dead_letters` table of citysense.db, newest first. At most `maxRows` are kept at any
 * time (docs/contract.md: at most 100k), and at most `maxBytes` of payloads: past either, an add removes the oldest,
 * down to 1% below the bound so that this happens once per many adds, not on each one.
 */
export function createSqliteDeadLetterStore(db: SqliteDb, maxRows = 100_000, maxBytes = DEAD_LETTER_MAX_BYTES): DeadLetterStore {
  const insert = db.prepare<[number, string | null, string, string, string, string]>(
    'INSERT INTO dead_letters (received_at, device_id, topic, reason, detail, payload) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const addAll = db.transaction((letters: readonly DeadLetter[]) => {
    for (const l of letters) insert.run(l.receivedAt, l.deviceId, l.topic, l.reason, l.detail, l.payload);
  });
  // Two statements rather than `? IS NULL OR reason = ?`, so that each one walks its index backwards.
  const page = db.prepare<[number, number], LetterRow>(`SELECT ${COLUMNS} FROM dead_letters WHERE id < ? ORDER BY id DESC LIMIT ?`);
  const pageByReason = db.prepare<[string, number, number], LetterRow>(
    `SELECT ${COLUMNS} FROM dead_letters WHERE reason = ? AND id < ? ORDER BY id DESC LIMIT ?`,
  );
  const purgeOld = db.prepare<[number]>('DELETE FROM dead_letters WHERE received_at < ?');
  const purgeExtra = db.prepare<[number]>(
    'DELETE FROM dead_letters WHERE id <= (SELECT id FROM dead_letters ORDER BY id DESC LIMIT 1 OFFSET ?)',
  );
  const purge = db.transaction((olderThan: number, keep: number) => purgeOld.run(olderThan).changes + purgeExtra.run(keep).changes);
  let rows = db.prepare<[], number>('SELECT count(*) FROM dead_letters').pluck().get()!;
  const sumBytes = db.prepare<[], number>('SELECT coalesce(sum(length(CAST(payload AS BLOB))), 0) FROM dead_letters').pluck();
  let bytes = sumBytes.get()!;
  // The newest letters whose payloads add up to `keep` bytes stay; every older one goes.
  const purgeBytes = db.prepare<[number]>(`
    DELETE FROM dead_letters WHERE id <= (
      SELECT id FROM (SELECT id, sum(length(CAST(payload AS BLOB))) OVER (ORDER BY id DESC) AS upto FROM dead_letters)
      WHERE upto > ? ORDER BY id DESC LIMIT 1)`);
  const removeOne = db.prepare<[number], { n: number }>('DELETE FROM dead_letters WHERE id = ? RETURNING length(CAST(payload AS BLOB)) AS n');
  const removeAll = db.transaction((ids: readonly number[]) => {
    let gone = 0;
    let freed = 0;
    for (const id of ids) {
      const r = removeOne.get(id);
      if (r) { gone++; freed += r.n; }
    }
    return { gone, freed };
  });
  const setReason = db.prepare<[string, string, number]>('UPDATE dead_letters SET reason = ?, detail = ? WHERE id = ?');
  const selects = new Map<string, ReturnType<typeof db.prepare<Record<string, string | number>, LetterRow>>>();
  /** The statement for the selection's fields in use (at most 16 shapes, each prepared once). */
  function selectFor(sel: DeadLetterSelection) {
    const where = ['id > $after'];
    if (sel.reason !== undefined) where.push('reason = $reason');
    if (sel.deviceId !== undefined) where.push('device_id = $deviceId');
    if (sel.from !== undefined) where.push('received_at >= $from');
    if (sel.to !== undefined) where.push('received_at < $to');
    const sql = `SELECT ${COLUMNS} FROM dead_letters WHERE ${where.join(' AND ')} ORDER BY id LIMIT $limit`;
    let stmt = selects.get(sql);
    if (!stmt) selects.set(sql, (stmt = db.prepare<Record<string, string | number>, LetterRow>(sql)));
    return stmt;
  }

  return {
    add(letters: readonly DeadLetter[]): void {
      if (letters.length === 0) return;
      addAll.immediate(letters);
      rows += letters.length;
      for (const l of letters) bytes += Buffer.byteLength(l.payload);
      if (rows > maxRows) {
        rows -= purgeExtra.run(Math.max(maxRows - Math.ceil(maxRows / 100), 0)).changes;
        bytes = sumBytes.get()!;
      }
      if (bytes > maxBytes) {
        rows -= purgeBytes.run(maxBytes - Math.ceil(maxBytes / 100)).changes;
        bytes = sumBytes.get()!;
      }
    },
    select(sel, { after, limit }): StoredDeadLetter[] {
      const params: Record<string, string | number> = { after, limit: Math.max(Math.trunc(limit), 0) };
      for (const k of ['reason', 'deviceId', 'from', 'to'] as const) if (sel[k] !== undefined) params[k] = sel[k]!;
      return selectFor(sel).all(params).map(toLetter);
    },
    remove(ids): void {
      const { gone, freed } = removeAll.immediate(ids);
      rows -= gone;
      bytes -= freed;
    },
    setReason(id, reason, detail): void {
      setReason.run(reason, detail, id);
    },
    list({ limit, reason, before }): StoredDeadLetter[] {
      const below = before ?? Number.MAX_SAFE_INTEGER;
      const n = Math.max(Math.trunc(limit), 0);
      return (reason === undefined ? page.all(below, n) : pageByReason.all(reason, below, n)).map(toLetter);
    },
    purge(olderThan: number, keep: number): number {
      const removed = purge.immediate(olderThan, Math.max(Math.trunc(keep), 0));
      rows -= removed;
      bytes = sumBytes.get()!;
      return removed;
    },
  };
}
