import type { DeadLetter, RefusalReason } from '../../core/index.js';
import type { DeadLetterStore, StoredDeadLetter } from '../ports.js';
import type { SqliteDb } from './open.js';

interface LetterRow {
  id: number;
  received_at: number;
  device_id: string | null;
  topic: string;
  reason: RefusalReason;
  detail: string;
  payload: string;
}

const COLUMNS = 'id, received_at, device_id, topic, reason, detail, payload';

const toLetter = (r: LetterRow): StoredDeadLetter => ({
  id: r.id, receivedAt: r.received_at, deviceId: r.device_id, topic: r.topic, reason: r.reason, detail: r.detail, payload: r.payload,
});

/**
 * Refused messages on the `dead_letters` table of citysense.db, newest first. At most `maxRows` are kept at any
 * time (docs/contract.md: at most 100k): past it, an add removes the oldest, down to 1% below the bound so that this
 * happens once per many adds, not on each one.
 */
export function createSqliteDeadLetterStore(db: SqliteDb, maxRows = 100_000): DeadLetterStore {
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

  return {
    add(letters: readonly DeadLetter[]): void {
      if (letters.length === 0) return;
      addAll.immediate(letters);
      rows += letters.length;
      if (rows > maxRows) rows -= purgeExtra.run(Math.max(maxRows - Math.ceil(maxRows / 100), 0)).changes;
    },
    list({ limit, reason, before }): StoredDeadLetter[] {
      const below = before ?? Number.MAX_SAFE_INTEGER;
      const n = Math.max(Math.trunc(limit), 0);
      return (reason === undefined ? page.all(below, n) : pageByReason.all(reason, below, n)).map(toLetter);
    },
    purge(olderThan: number, keep: number): number {
      const removed = purge.immediate(olderThan, Math.max(Math.trunc(keep), 0));
      rows -= removed;
      return removed;
    },
  };
}
