import type { Silence } from '../../core/index.js';
import type { SilenceStore } from '../alert-ports.js';
import type { Async } from '../async.js';
import type { PgPool } from './db.js';

/** Silences on the `alert_silences` table (PostgreSQL), each a JSON body, ordered by their start. */
export function createPgSilenceStore(pool: PgPool): Async<SilenceStore> {
  return {
    async list() {
      const { rows } = await pool.query<{ body: Silence }>('SELECT body FROM alert_silences ORDER BY from_ts, id COLLATE "C"');
      return rows.map((r) => r.body);
    },
    async get(id) {
      return (await pool.query<{ body: Silence }>('SELECT body FROM alert_silences WHERE id = $1', [id])).rows[0]?.body;
    },
    async create(silence) {
      await pool.query('INSERT INTO alert_silences (id, from_ts, to_ts, body) VALUES ($1, $2, $3, $4)',
        [silence.id, silence.from, silence.to, JSON.stringify(silence)]);
      return silence;
    },
    async delete(id) {
      return (await pool.query('DELETE FROM alert_silences WHERE id = $1', [id])).rowCount! > 0;
    },
  };
}
