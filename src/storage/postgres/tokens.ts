import { randomBytes } from 'node:crypto';
import type { Async } from '../async.js';
import type { ApiToken, Role, TokenStore } from '../ports.js';
import type { Scope } from '../user-ports.js';
import type { PgPool } from './db.js';

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  created_at: number;
  scope: Scope | null;
}

const COLUMNS = 'id, name, role, created_at, scope';

const toToken = (r: TokenRow): ApiToken => ({
  id: r.id, name: r.name, role: r.role, createdAt: r.created_at, ...(r.scope ? { scope: r.scope } : {}),
});

/** API tokens on the `tokens` table (PostgreSQL); only their hashes are stored. */
export function createPgTokenStore(pool: PgPool, now: () => number = Date.now): Async<TokenStore> {
  return {
    async create(name, role, tokenHash, scope) {
      // A short random id that names a token in the API without revealing anything about it.
      const id = randomBytes(9).toString('base64url');
      const { rows } = await pool.query<TokenRow>(
        `INSERT INTO tokens (id, name, role, token_hash, created_at, scope) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
        [id, name, role, tokenHash, now(), scope ? JSON.stringify(scope) : null],
      );
      return toToken(rows[0]!);
    },
    async findByHash(tokenHash) {
      const { rows } = await pool.query<TokenRow>(`SELECT ${COLUMNS} FROM tokens WHERE token_hash = $1`, [tokenHash]);
      return rows[0] && toToken(rows[0]);
    },
    async list() {
      return (await pool.query<TokenRow>(`SELECT ${COLUMNS} FROM tokens ORDER BY created_at, seq`)).rows.map(toToken);
    },
    async delete(id) {
      return (await pool.query('DELETE FROM tokens WHERE id = $1', [id])).rowCount! > 0;
    },
    async countByRole(role) {
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM tokens WHERE role = $1', [role]);
      return rows[0]!.n;
    },
  };
}
