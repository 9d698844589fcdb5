import { randomBytes } from 'node:crypto';
import type { Async } from '../async.js';
import type { InstallationStore } from '../ports.js';
import type { PgPool } from './db.js';

/** Installation values on the `installation` table (PostgreSQL). */
export function createPgInstallationStore(pool: PgPool): Async<InstallationStore> {
  let key: Buffer | undefined;
  return {
    async deviceSecretKey() {
      // Made once: whichever first start inserts it wins, and everyone (every later start, every node) reads that one.
      if (!key) {
        await pool.query('INSERT INTO installation (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', ['device_secret_key', randomBytes(32)]);
        const { rows } = await pool.query<{ value: Buffer }>('SELECT value FROM installation WHERE name = $1', ['device_secret_key']);
        key = rows[0]!.value;
      }
      return key;
    },
  };
}
