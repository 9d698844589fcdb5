import { randomBytes } from 'node:crypto';
import type { InstallationStore } from '../ports.js';
import type { SqliteDb } from './open.js';

/** Installation values on the `installation` table of citysense.db. */
export function createSqliteInstallationStore(db: SqliteDb): InstallationStore {
  const insert = db.prepare<[string, Buffer]>('INSERT OR IGNORE INTO installation (name, value) VALUES (?, ?)');
  const read = db.prepare<[string], Buffer>('SELECT value FROM installation WHERE name = ?').pluck();
  let key: Buffer | undefined;
  return {
    deviceSecretKey(): Buffer {
      // Made once: whichever first start inserts it wins, and everyone (every later start, every node) reads that one.
      if (!key) {
        insert.run('device_secret_key', randomBytes(32));
        key = read.get('device_secret_key')!;
      }
      return key;
    },
  };
}
