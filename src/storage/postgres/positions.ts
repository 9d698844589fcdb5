import type { Async } from '../async.js';
import type { PositionStore } from '../ports.js';
import type { PgPool } from './db.js';

/** Named positions on the `positions` table (PostgreSQL). */
export function createPgPositionStore(pool: PgPool): Async<PositionStore> {
  return {
    async get(name) {
      const { rows } = await pool.query<{ value: number }>('SELECT value FROM positions WHERE name = $1', [name]);
      return rows[0]?.value;
    },
    async set(name, value) {
      await pool.query('INSERT INTO positions (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [name, value]);
    },
  };
}
