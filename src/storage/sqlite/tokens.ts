import { randomBytes } from 'node:crypto';
import type { ApiToken, Role, TokenStore } from '../ports.js';
import type { Scope } from '../user-ports.js';
import type { SqliteDb } from './open.js';

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  created_at: number;
  scope: string | null;
}

const toToken = (r: TokenRow): ApiToken => ({
  id: r.id, name: r.name, role: r.role, createdAt: r.created_at, ...(r.scope ? { scope: JSON.parse(r.scope) as Scope } : {}),
});

/** A short random id that names a token in the API without revealing anything about it. */
function newTokenId(): string {
  return randomBytes(9).toString('base64url');
}

/** API tokens on the `tokens` table of citysense.db; only their hashes are stored. */
export function createSqliteTokenStore(db: SqliteDb, now: () => number = Date.now): TokenStore {
  const insert = db.prepare<[string, string, Role, string, number, string | null]>(
    'INSERT INTO tokens (id, name, role, token_hash, created_at, scope) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const byId = db.prepare<[string], TokenRow>('SELECT id, name, role, created_at, scope FROM tokens WHERE id = ?');
  const byHash = db.prepare<[string], TokenRow>('SELECT id, name, role, created_at, scope FROM tokens WHERE token_hash = ?');
  const all = db.prepare<[], TokenRow>('SELECT id, name, role, created_at, scope FROM tokens ORDER BY created_at, rowid');
  const remove = db.prepare<[string]>('DELETE FROM tokens WHERE id = ?');
  const countRole = db.prepare<[Role], number>('SELECT count(*) FROM tokens WHERE role = ?').pluck();

  return {
    create(name: string, role: Role, tokenHash: string, scope?: Scope): ApiToken {
      const id = newTokenId();
      insert.run(id, name, role, tokenHash, now(), scope ? JSON.stringify(scope) : null);
      return toToken(byId.get(id)!);
    },
    findByHash(tokenHash: string): ApiToken | undefined {
      const row = byHash.get(tokenHash);
      return row && toToken(row);
    },
    list: () => all.all().map(toToken),
    delete: (id: string) => remove.run(id).changes > 0,
    countByRole: (role: Role) => countRole.get(role) ?? 0,
  };
}
