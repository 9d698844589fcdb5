import type { DeadLetter } from '../../core/index.js';
import type { Async } from '../async.js';
import type { DeadLetterStore } from '../ports.js';
import { DEAD_LETTER_MAX_BYTES, LETTER_COLUMNS as COLUMNS, toLetter, type LetterRow } from '../rows.js';
import { inTransaction, type PgPool, type Queryable } from './db.js';

const ADD = `WITH added AS (
    INSERT INTO dead_letters (received_at, device_id, topic, reason, detail, payload)
    SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
    RETURNING octet_length(payload) AS b)
  SELECT (SELECT count(*) FROM dead_letters) + (SELECT count(*) FROM added) AS n,
         (SELECT coalesce(sum(octet_length(payload)), 0) FROM dead_letters) + (SELECT coalesce(sum(b), 0) FROM added) AS bytes`;

const PURGE_EXTRA = 'DELETE FROM dead_letters WHERE id <= (SELECT id FROM dead_letters ORDER BY id DESC LIMIT 1 OFFSET $1)';
// The newest letters whose payloads add up to $1 bytes stay; every older one goes.
const PURGE_BYTES = `DELETE FROM dead_letters WHERE id <= (
  SELECT id FROM (SELECT id, sum(octet_length(payload)) OVER (ORDER BY id DESC) AS upto FROM dead_letters) s
  WHERE upto > $1 ORDER BY id DESC LIMIT 1)`;

const deleted = async (q: Queryable, sql: string, params: unknown[]) => (await q.query(sql, params)).rowCount ?? 0;

/**
 * Refused messages on the `dead_letters` table (PostgreSQL), newest first, bounded as the SQLite adapter is: past
 * `maxRows` letters or `maxBytes` of payloads an add removes the oldest, down to 1% below the bound. The totals are
 * counted in the database (every node adds to the same table), by the add's own statement.
 */
export function createPgDeadLetterStore(pool: PgPool, maxRows = 100_000, maxBytes = DEAD_LETTER_MAX_BYTES): Async<DeadLetterStore> {
  return {
    async add(letters: readonly DeadLetter[]) {
      if (letters.length === 0) return;
      // One statement (one round trip, its own commit): the insert, and the totals it leaves (the table as the
      // statement found it plus what it inserted).
      const { rows } = await pool.query<{ n: number; bytes: number }>(ADD, [
        letters.map((l) => l.receivedAt), letters.map((l) => l.deviceId), letters.map((l) => l.topic),
        letters.map((l) => l.reason), letters.map((l) => l.detail), letters.map((l) => l.payload),
      ]);
      const { n, bytes } = rows[0]!;
      // Trimming twice (two nodes past the bound at once) leaves what trimming once does.
      if (n > maxRows) await pool.query(PURGE_EXTRA, [Math.max(maxRows - Math.ceil(maxRows / 100), 0)]);
      if (bytes > maxBytes) await pool.query(PURGE_BYTES, [maxBytes - Math.ceil(maxBytes / 100)]);
    },
    async select(sel, { after, limit }) {
      const params: unknown[] = [after];
      const where = ['id > $1'];
      const add = (sql: string, value: unknown) => { params.push(value); where.push(`${sql} $${params.length}`); };
      if (sel.reason !== undefined) add('reason =', sel.reason);
      if (sel.deviceId !== undefined) add('device_id =', sel.deviceId);
      if (sel.from !== undefined) add('received_at >=', sel.from);
      if (sel.to !== undefined) add('received_at <', sel.to);
      params.push(Math.max(Math.trunc(limit), 0));
      const sql = `SELECT ${COLUMNS} FROM dead_letters WHERE ${where.join(' AND ')} ORDER BY id LIMIT $${params.length}`;
      return (await pool.query<LetterRow>(sql, params)).rows.map(toLetter);
    },
    async remove(ids) {
      if (ids.length > 0) await pool.query('DELETE FROM dead_letters WHERE id = ANY($1::int8[])', [ids]);
    },
    async setReason(id, reason, detail) {
      await pool.query('UPDATE dead_letters SET reason = $1, detail = $2 WHERE id = $3', [reason, detail, id]);
    },
    async list({ limit, reason, before }) {
      const below = before ?? Number.MAX_SAFE_INTEGER;
      const n = Math.max(Math.trunc(limit), 0);
      const { rows } = reason === undefined
        ? await pool.query<LetterRow>(`SELECT ${COLUMNS} FROM dead_letters WHERE id < $1 ORDER BY id DESC LIMIT $2`, [below, n])
        : await pool.query<LetterRow>(`SELECT ${COLUMNS} FROM dead_letters WHERE reason = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, [reason, below, n]);
      return rows.map(toLetter);
    },
    purge(olderThan, keep) {
      return inTransaction(pool, async (c) =>
        (await deleted(c, 'DELETE FROM dead_letters WHERE received_at < $1', [olderThan]))
        + (await deleted(c, PURGE_EXTRA, [Math.max(Math.trunc(keep), 0)])));
    },
  };
}
