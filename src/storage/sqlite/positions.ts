import type { PositionStore } from '../ports.js';
import type { SqliteDb } from './open.js';

/** Named positions in `citysense.db` (table `positions`, meta migration 11). */
export function createSqlitePositionStore(db: SqliteDb): PositionStore {
  const select = db.prepare<[string], number>('SELECT value FROM positions WHERE name = ?').pluck();
  const upsert = db.prepare<[string, number]>('INSERT INTO positions (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value');
  return {
    get: (name) => select.get(name),
    set(name, value) {
      upsert.run(name, value);
    },
  };
}
