import { toSession, type SessionRow } from '../rows.js';
import type { SessionStore } from '../user-ports.js';
import type { SqliteDb } from './open.js';

/** Sessions on the `sessions` table of citysense.db; a user's rows go with the user (foreign key, cascade). */
export function createSqliteSessionStore(db: SqliteDb, now: () => number = Date.now): SessionStore {
  const insert = db.prepare<[string, string, number, number]>('INSERT INTO sessions (id, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)');
  const byId = db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?');
  const touch = db.prepare<[number, string]>('UPDATE sessions SET last_seen_at = max(last_seen_at, ?) WHERE id = ?');
  const remove = db.prepare<[string]>('DELETE FROM sessions WHERE id = ?');
  const removeUser = db.prepare<[string]>('DELETE FROM sessions WHERE user_id = ?');
  const purge = db.prepare<[number]>('DELETE FROM sessions WHERE last_seen_at < ?');
  return {
    create(id: string, userId: string) {
      const at = now();
      insert.run(id, userId, at, at);
      return toSession(byId.get(id)!);
    },
    get(id: string) {
      const row = byId.get(id);
      return row && toSession(row);
    },
    touch: (id: string, at: number) => void touch.run(at, id),
    delete: (id: string) => remove.run(id).changes > 0,
    deleteForUser: (userId: string) => removeUser.run(userId).changes,
    purgeIdle: (before: number) => purge.run(before).changes,
  };
}
