import type { Async } from '../async.js';
import { toSession, type SessionRow } from '../rows.js';
import type { SessionStore } from '../user-ports.js';
import type { PgPool } from './db.js';

/** Sessions on the `sessions` table (PostgreSQL); a user's rows go with the user (foreign key, cascade). */
export function createPgSessionStore(pool: PgPool, now: () => number = Date.now): Async<SessionStore> {
  const count = async (sql: string, params: unknown[]) => (await pool.query(sql, params)).rowCount ?? 0;
  return {
    async create(id, userId) {
      const at = now();
      const { rows } = await pool.query<SessionRow>(
        'INSERT INTO sessions (id, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3) RETURNING *', [id, userId, at],
      );
      return toSession(rows[0]!);
    },
    async get(id) {
      const r = (await pool.query<SessionRow>('SELECT * FROM sessions WHERE id = $1', [id])).rows[0];
      return r && toSession(r);
    },
    async touch(id, at) {
      await pool.query('UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $1) WHERE id = $2', [at, id]);
    },
    delete: async (id) => (await count('DELETE FROM sessions WHERE id = $1', [id])) > 0,
    deleteForUser: (userId) => count('DELETE FROM sessions WHERE user_id = $1', [userId]),
    purgeIdle: (before) => count('DELETE FROM sessions WHERE last_seen_at < $1', [before]),
  };
}
