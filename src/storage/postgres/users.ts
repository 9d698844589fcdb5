import { randomBytes } from 'node:crypto';
import { AppError } from '../../core/index.js';
import type { Async } from '../async.js';
import type { Role } from '../ports.js';
import type { NewUser, Scope, User, UserStore } from '../user-ports.js';
import { isUniqueViolation, type PgPool } from './db.js';

interface UserRow {
  id: string;
  username: string;
  name: string;
  role: Role;
  scope: Scope | null;
  disabled: boolean;
  password_hash: string;
  created_at: number;
  updated_at: number;
}

const toUser = (r: UserRow): User => ({
  id: r.id, username: r.username, name: r.name, role: r.role, ...(r.scope ? { scope: r.scope } : {}),
  disabled: r.disabled, createdAt: r.created_at, updatedAt: r.updated_at,
});

const scopeJson = (scope: Scope | null | undefined) => (scope ? JSON.stringify(scope) : null);

/** Rethrows a unique violation (the username index) as the port's 409. */
const unique = (err: unknown, username: string): never => {
  if (isUniqueViolation(err)) throw new AppError('conflict', `username ${username} is taken`, 409);
  throw err;
};

// Ordered and compared as the unique index is: the lower-cased name, byte by byte (SQLite's NOCASE).
const KEY = 'lower(username) COLLATE "C"';

/** Users on the `users` table (PostgreSQL); password hashes stay in the row, never returned by `get` or `list`. */
export function createPgUserStore(pool: PgPool, now: () => number = Date.now): Async<UserStore> {
  async function row(id: string): Promise<UserRow | undefined> {
    return (await pool.query<UserRow>('SELECT * FROM users WHERE id = $1', [id])).rows[0];
  }
  return {
    async create(user: NewUser, passwordHash: string) {
      const id = randomBytes(9).toString('base64url');
      const at = now();
      try {
        const { rows } = await pool.query<UserRow>(
          `INSERT INTO users (id, username, name, role, scope, disabled, password_hash, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *`,
          [id, user.username, user.name, user.role, scopeJson(user.scope), user.disabled ?? false, passwordHash, at],
        );
        return toUser(rows[0]!);
      } catch (err) {
        return unique(err, user.username);
      }
    },
    async get(id) {
      const r = await row(id);
      return r && toUser(r);
    },
    async findByUsername(username) {
      const r = (await pool.query<UserRow>(`SELECT * FROM users WHERE ${KEY} = lower($1) COLLATE "C"`, [username])).rows[0];
      return r && { user: toUser(r), passwordHash: r.password_hash };
    },
    async list(opts = {}) {
      const { rows } = await pool.query<UserRow>(
        `SELECT * FROM users WHERE ${KEY} > lower($1) COLLATE "C" ORDER BY ${KEY} LIMIT $2`, [opts.after ?? '', opts.limit ?? 1000],
      );
      return rows.map(toUser);
    },
    async update(id, patch, passwordHash) {
      const r = await row(id);
      if (!r) return undefined;
      const username = patch.username ?? r.username;
      const scope = patch.scope === undefined ? scopeJson(r.scope) : scopeJson(patch.scope);
      try {
        const { rows } = await pool.query<UserRow>(
          `UPDATE users SET username = $1, name = $2, role = $3, scope = $4, disabled = $5, password_hash = $6, updated_at = $7
           WHERE id = $8 RETURNING *`,
          [username, patch.name ?? r.name, patch.role ?? r.role, scope, patch.disabled ?? r.disabled, passwordHash ?? r.password_hash, now(), id],
        );
        return rows[0] && toUser(rows[0]);
      } catch (err) {
        return unique(err, username);
      }
    },
    async delete(id) {
      return (await pool.query('DELETE FROM users WHERE id = $1', [id])).rowCount! > 0;
    },
    async count() {
      return (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM users')).rows[0]!.n;
    },
  };
}
