import type { PositionStore } from '../ports.js';
import type { SqliteDb } from './open.js';

/**
 * Named positions in `citysense.db` (table `positions`). Its own IF NOT EXISTS table rather than a step of the
 * meta migrations, as the alert tables do: a reader such as the event stream keeps its place without taking a
 * schema version that other rooms' steps also count.
 */
export function createSqlitePositionStore(db: SqliteDb): PositionStore {
  db.exec('CREATE TABLE IF NOT EXISTS positions (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT');
  const select = db.prepare<[string], number>('SELECT value FROM positions WHERE name = ?').pluck();
  const upsert = db.prepare<[string, number]>('INSERT INTO positions (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value');
  return {
    get: (name) => select.get(name),
    set(name, value) {
      upsert.run(name, value);
    },
  };
}
