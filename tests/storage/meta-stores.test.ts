import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSqliteStores, type SqliteStores } from '../../src/storage/index.js';
import { META_MIGRATIONS } from '../../src/storage/sqlite/meta-migrations.js';
import { openMetaDb } from '../../src/storage/sqlite/stores.js';

let dir: string;
let stores: SqliteStores;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'citysense-meta-'));
  stores = createSqliteStores(join(dir, 'nested'));
});
afterEach(async () => {
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `query` on a second, raw connection to the citysense.db in `dataDir` (the stores hand out no handle). */
function onFile<T>(dataDir: string, query: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'citysense.db'), { fileMustExist: true });
  try {
    return query(db);
  } finally {
    db.close();
  }
}
const userVersion = (dataDir: string) => onFile(dataDir, (db) => db.pragma('user_version', { simple: true }) as number);

describe('citysense.db', () => {
  it('is created with its folder, in WAL mode with foreign keys on, at the latest schema version', () => {
    // The connection settings, on a connection opened as createSqliteStores opens its own.
    const db = openMetaDb(join(dir, 'nested'));
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    } finally {
      db.close();
    }
    expect(onFile(join(dir, 'nested'), (raw) => raw.pragma('journal_mode', { simple: true }))).toBe('wal'); // kept in the file
    expect(userVersion(join(dir, 'nested'))).toBeGreaterThanOrEqual(1);
  });

  it('keeps its data across a reopen and does not migrate twice', async () => {
    stores.devices.create({ id: 'keep-1', domain: 'safety', type: 'flood' }, 'h');
    const version = userVersion(join(dir, 'nested'));
    await stores.close();
    stores = createSqliteStores(join(dir, 'nested'));
    expect(stores.devices.get('keep-1')?.type).toBe('flood');
    expect(userVersion(join(dir, 'nested'))).toBe(version);
  });

  it('refuses a file whose schema is newer than this build', async () => {
    const version = userVersion(join(dir, 'nested'));
    onFile(join(dir, 'nested'), (raw) => raw.pragma('user_version = 999'));
    await stores.close();
    expect(() => createSqliteStores(join(dir, 'nested'))).toThrow(/newer/);
    // put the version back so that afterEach has stores to close
    onFile(join(dir, 'nested'), (raw) => raw.pragma(`user_version = ${version}`));
    stores = createSqliteStores(join(dir, 'nested'));
  });
});

describe('installation values in citysense.db', () => {
  // Made once, the same for every opener, another database's its own: tests/storage/installation-store.contract.ts.
  it('keeps the key in citysense.db itself, where a copy of the file (another node) finds it', () => {
    const key = stores.installation.deviceSecretKey();
    expect(onFile(join(dir, 'nested'), (db) => db.prepare("SELECT value FROM installation WHERE name = 'device_secret_key'").pluck().get())).toEqual(key);
  });

  it('adds its table to a citysense.db of an earlier version, whose devices keep their scrypt hashes', async () => {
    await stores.close();
    const file = join(dir, 'old', 'citysense.db');
    mkdirSync(join(dir, 'old'));
    const raw = new Database(file);
    raw.exec(META_MIGRATIONS[0]!.up as string); // the schema of earlier versions (user_version 1)
    raw.pragma('user_version = 1');
    raw.prepare("INSERT INTO devices (id, domain, type, secret_hash, created_at) VALUES ('old-1', 'safety', 'gas', 'scrypt$16384$8$1$s$h', 0)").run();
    raw.close();
    stores = createSqliteStores(join(dir, 'old'));
    expect(userVersion(join(dir, 'old'))).toBe(META_MIGRATIONS.length);
    expect(stores.installation.deviceSecretKey().length).toBe(32);
    expect(stores.devices.secretHash('old-1')).toBe('scrypt$16384$8$1$s$h');
  });
});
