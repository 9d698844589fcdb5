import { randomBytes } from 'node:crypto';
import { AppError } from '../../core/index.js';
import type { Role } from '../ports.js';
import type { NewUser, Scope, User, UserStore, UserUpdate } from '../user-ports.js';
import type { SqliteDb } from './open.js';

interface UserRow {
  id: string;
  username: string;
  name: string;
  role: Role;
  scope: string | null;
  disabled: number;
  password_hash: string;
  created_at: number;
  updated_at: number;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  name: r.name,
  role: r.role,
  ...(r.scope ? { scope: JSON.parse(r.scope) as Scope } : {}),
  disabled: r.disabled === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const scopeText = (scope: Scope | null | undefined) => (scope ? JSON.stringify(scope) : null);

const taken = (username: string) => new AppError('conflict', `username ${username} is taken`, 409);

/** Users on the `users` table of citysense.db (password hashes in the row, never returned by `get` or `list`). */
export function createSqliteUserStore(db: SqliteDb, now: () => number = Date.now): UserStore {
  const insert = db.prepare<[string, string, string, Role, string | null, number, string, number, number]>(
    'INSERT INTO users (id, username, name, role, scope, disabled, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const byId = db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?');
  const byName = db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ? COLLATE NOCASE');
  const page = db.prepare<[string, number], UserRow>('SELECT * FROM users WHERE username > ? COLLATE NOCASE ORDER BY username COLLATE NOCASE LIMIT ?');
  const save = db.prepare<[string, string, Role, string | null, number, string, number, string]>(
    'UPDATE users SET username = ?, name = ?, role = ?, scope = ?, disabled = ?, password_hash = ?, updated_at = ? WHERE id = ?',
  );
  const remove = db.prepare<[string]>('DELETE FROM users WHERE id = ?');
  const total = db.prepare<[], number>('SELECT count(*) FROM users').pluck();
  const unique = (err: unknown, username: string): never => {
    if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw taken(username);
    throw err;
  };

  return {
    create(user: NewUser, passwordHash: string): User {
      const id = randomBytes(9).toString('base64url');
      const at = now();
      try {
        insert.run(id, user.username, user.name, user.role, scopeText(user.scope), user.disabled ? 1 : 0, passwordHash, at, at);
      } catch (err) {
        unique(err, user.username);
      }
      return toUser(byId.get(id)!);
    },
    get(id: string) {
      const row = byId.get(id);
      return row && toUser(row);
    },
    findByUsername(username: string) {
      const row = byName.get(username);
      return row && { user: toUser(row), passwordHash: row.password_hash };
    },
    list: (opts = {}) => page.all(opts.after ?? '', opts.limit ?? 1000).map(toUser),
    update(id: string, patch: UserUpdate, passwordHash?: string) {
      const row = byId.get(id);
      if (!row) return undefined;
      const username = patch.username ?? row.username;
      const scope = patch.scope === undefined ? row.scope : scopeText(patch.scope);
      const disabled = patch.disabled === undefined ? row.disabled : patch.disabled ? 1 : 0;
      try {
        save.run(username, patch.name ?? row.name, patch.role ?? row.role, scope, disabled, passwordHash ?? row.password_hash, now(), id);
      } catch (err) {
        unique(err, username);
      }
      return toUser(byId.get(id)!);
    },
    delete: (id: string) => remove.run(id).changes > 0,
    count: () => total.get() ?? 0,
  };
}
