import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AppError, type DeadLetter } from '../../src/core/index.js';
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

describe('device registry', () => {
  it('creates a device and returns it whole', () => {
    const d = stores.devices.create(
      { id: 'w-1', domain: 'healthcare', type: 'wearable', name: 'Ward 3 bed 2', district: 'north', location: { lat: 52.5, lon: 13.4 } },
      'scrypt$hash',
    );
    expect(d).toEqual({
      id: 'w-1', domain: 'healthcare', type: 'wearable', name: 'Ward 3 bed 2', district: 'north',
      location: { lat: 52.5, lon: 13.4 }, createdAt: expect.any(Number), latest: {},
    });
    expect(stores.devices.get('w-1')).toEqual(d);
    expect(stores.devices.secretHash('w-1')).toBe('scrypt$hash');
  });

  it('leaves optional fields absent rather than null', () => {
    const d = stores.devices.create({ id: 'bare', domain: 'safety', type: 'gas' }, 'h');
    expect(Object.keys(d).sort()).toEqual(['createdAt', 'domain', 'id', 'latest', 'type']);
  });

  it('refuses a duplicate id with a 409 conflict', () => {
    stores.devices.create({ id: 'dup', domain: 'safety', type: 'gas' }, 'h1');
    let caught: unknown;
    try {
      stores.devices.create({ id: 'dup', domain: 'safety', type: 'smoke' }, 'h2');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect(caught).toMatchObject({ code: 'conflict', status: 409 });
    expect(stores.devices.get('dup')?.type).toBe('gas');
    expect(stores.devices.secretHash('dup')).toBe('h1');
  });

  it('lists with filters and pages by ascending id', () => {
    const mk = (id: string, type: string, district?: string) =>
      stores.devices.create({ id, domain: 'transport', type, district }, 'h');
    mk('c', 'bus', 'south');
    mk('a', 'bus', 'north');
    mk('e', 'parking', 'north');
    mk('b', 'traffic', 'north');
    mk('d', 'bus', 'north');
    stores.devices.create({ id: 'z', domain: 'safety', type: 'noise', district: 'north' }, 'h');

    expect(stores.devices.list().map((d) => d.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'z']);
    expect(stores.devices.list({ type: 'bus' }).map((d) => d.id)).toEqual(['a', 'c', 'd']);
    expect(stores.devices.list({ domain: 'transport', district: 'north' }).map((d) => d.id)).toEqual(['a', 'b', 'd', 'e']);
    expect(stores.devices.list({ limit: 2 }).map((d) => d.id)).toEqual(['a', 'b']);
    expect(stores.devices.list({ after: 'b', limit: 2 }).map((d) => d.id)).toEqual(['c', 'd']);
    expect(stores.devices.list({ type: 'bus', after: 'a' }).map((d) => d.id)).toEqual(['c', 'd']);
    expect(stores.devices.list({ after: 'z' })).toEqual([]);
    expect(stores.devices.list({ district: "north' OR '1'='1" })).toEqual([]);
  });

  it('deletes a device and its secret', () => {
    stores.devices.create({ id: 'gone', domain: 'safety', type: 'gas' }, 'h');
    expect(stores.devices.delete('gone')).toBe(true);
    expect(stores.devices.get('gone')).toBeUndefined();
    expect(stores.devices.secretHash('gone')).toBeUndefined();
    expect(stores.devices.delete('gone')).toBe(false);
  });

  it('replaces the secret hash of an existing device only', () => {
    stores.devices.create({ id: 's', domain: 'safety', type: 'gas' }, 'old');
    expect(stores.devices.setSecretHash('s', 'new')).toBe(true);
    expect(stores.devices.secretHash('s')).toBe('new');
    expect(stores.devices.setSecretHash('nobody', 'x')).toBe(false);
  });

  it('replaces a secret hash only while it is still the expected one', () => {
    stores.devices.create({ id: 'u', domain: 'safety', type: 'gas' }, 'scrypt$old');
    expect(stores.devices.replaceSecretHash('u', 'scrypt$other', 'keyed')).toBe(false);
    expect(stores.devices.secretHash('u')).toBe('scrypt$old');
    expect(stores.devices.replaceSecretHash('u', 'scrypt$old', 'keyed')).toBe(true);
    expect(stores.devices.secretHash('u')).toBe('keyed');
    expect(stores.devices.replaceSecretHash('nobody', 'scrypt$old', 'keyed')).toBe(false);
  });

  it('counts the stored secret hashes by scheme', () => {
    expect(stores.devices.secretSchemes()).toEqual({});
    stores.devices.create({ id: 'k1', domain: 'safety', type: 'gas' }, 'hmac-sha256$abc');
    stores.devices.create({ id: 'k2', domain: 'safety', type: 'gas' }, 'hmac-sha256$def');
    stores.devices.create({ id: 's1', domain: 'safety', type: 'gas' }, 'scrypt$16384$8$1$s$h');
    stores.devices.create({ id: 'x1', domain: 'safety', type: 'gas' }, 'odd');
    expect(stores.devices.secretSchemes()).toEqual({ 'hmac-sha256': 2, scrypt: 1, odd: 1 });
  });

  it('records lastSeen and latest values for many devices at once, never moving backwards', () => {
    stores.devices.create({ id: 'cc-1', domain: 'healthcare', type: 'cold_chain' }, 'h');
    stores.devices.create({ id: 'cc-2', domain: 'healthcare', type: 'cold_chain' }, 'h');
    stores.devices.recordSeen([
      { id: 'cc-1', lastSeen: 2000, latest: { temp: { v: 4.5, t: 1900 }, door_open: { v: false, t: 1900 } } },
      { id: 'cc-2', lastSeen: 1000, latest: { temp: { v: 5, t: 900 } } },
      { id: 'not-registered', lastSeen: 1000, latest: { temp: { v: 5, t: 900 } } },
    ]);
    // An older batch arriving late (spool replay) must not undo newer state, but adds what is new.
    stores.devices.recordSeen([
      { id: 'cc-1', lastSeen: 1500, latest: { temp: { v: 9, t: 1400 }, door_open: { v: true, t: 1950 } } },
      { id: 'cc-2', lastSeen: 3000, latest: { temp: { v: 6, t: 2900 } } },
    ]);
    expect(stores.devices.get('cc-1')).toMatchObject({ lastSeen: 2000, latest: { temp: { v: 4.5, t: 1900 }, door_open: { v: true, t: 1950 } } });
    expect(stores.devices.get('cc-2')).toMatchObject({ lastSeen: 3000, latest: { temp: { v: 6, t: 2900 } } });
    expect(stores.devices.get('not-registered')).toBeUndefined();
    expect(stores.devices.list().map((d) => d.lastSeen)).toEqual([2000, 3000]);
  });
});

describe('token store', () => {
  it('creates tokens with short random ids and finds them by hash', () => {
    const a = stores.tokens.create('ci', 'admin', 'hash-a');
    const b = stores.tokens.create('wall screen', 'viewer', 'hash-b');
    expect(a).toEqual({ id: expect.stringMatching(/^[A-Za-z0-9_-]{8,16}$/), name: 'ci', role: 'admin', createdAt: expect.any(Number) });
    expect(a.id).not.toBe(b.id);
    expect(stores.tokens.findByHash('hash-b')).toEqual(b);
    expect(stores.tokens.findByHash('nope')).toBeUndefined();
    expect(stores.tokens.list()).toEqual([a, b]);
    expect(JSON.stringify(stores.tokens.list())).not.toContain('hash-');
  });

  it('counts by role and deletes by id', () => {
    const a = stores.tokens.create('one', 'admin', 'h1');
    stores.tokens.create('two', 'admin', 'h2');
    stores.tokens.create('three', 'operator', 'h3');
    expect(stores.tokens.countByRole('admin')).toBe(2);
    expect(stores.tokens.countByRole('viewer')).toBe(0);
    expect(stores.tokens.delete(a.id)).toBe(true);
    expect(stores.tokens.delete(a.id)).toBe(false);
    expect(stores.tokens.findByHash('h1')).toBeUndefined();
    expect(stores.tokens.countByRole('admin')).toBe(1);
  });
});

describe('dead letter store', () => {
  const letter = (i: number, reason: DeadLetter['reason'] = 'out_of_range'): DeadLetter => ({
    receivedAt: 1_000 + i, deviceId: i % 2 ? `d${i}` : null, topic: `city/safety/gas/d${i}`, reason, detail: `detail ${i}`, payload: `{"co":${i}}`,
  });

  it('lists newest first, filters by reason and pages with before', () => {
    stores.deadLetters.add([letter(1), letter(2, 'malformed_json'), letter(3), letter(4, 'malformed_json'), letter(5)]);
    const all = stores.deadLetters.list({ limit: 10 });
    expect(all.map((l) => l.detail)).toEqual(['detail 5', 'detail 4', 'detail 3', 'detail 2', 'detail 1']);
    expect(all[0]).toEqual({ id: expect.any(Number), ...letter(5) });
    expect(all[1]!.deviceId).toBeNull();

    const firstPage = stores.deadLetters.list({ limit: 2 });
    const secondPage = stores.deadLetters.list({ limit: 2, before: firstPage[1]!.id });
    expect(secondPage.map((l) => l.detail)).toEqual(['detail 3', 'detail 2']);

    expect(stores.deadLetters.list({ limit: 10, reason: 'malformed_json' }).map((l) => l.detail)).toEqual(['detail 4', 'detail 2']);
    expect(stores.deadLetters.list({ limit: 1, reason: 'malformed_json', before: all[1]!.id }).map((l) => l.detail)).toEqual(['detail 2']);
    expect(stores.deadLetters.list({ limit: 10, reason: 'bad_unit' })).toEqual([]);
  });

  it('purges by age and keeps at most the newest N', () => {
    stores.deadLetters.add(Array.from({ length: 10 }, (_, i) => letter(i + 1)));
    // older than 1003 → letters 1 and 2 go; then keep the newest 5 of the 8 left → 3 more go.
    expect(stores.deadLetters.purge(1003, 5)).toBe(5);
    expect(stores.deadLetters.list({ limit: 100 }).map((l) => l.receivedAt)).toEqual([1010, 1009, 1008, 1007, 1006]);
    expect(stores.deadLetters.purge(0, 100)).toBe(0);
    expect(stores.deadLetters.purge(0, 0)).toBe(5);
    // ids are not reused after a purge, so old cursors stay meaningful
    const before = stores.deadLetters.list({ limit: 1 });
    expect(before).toEqual([]);
    stores.deadLetters.add([letter(11)]);
    expect(stores.deadLetters.list({ limit: 1 })[0]!.id).toBeGreaterThan(10);
  });
});

describe('dead letter store: what a replay needs', () => {
  const letter = (i: number, extra: Partial<DeadLetter> = {}): DeadLetter => ({
    receivedAt: 5_000 + i, deviceId: `r${i % 2}`, topic: `city/safety/gas/r${i % 2}`, reason: 'unknown_metric', detail: `detail ${i}`, payload: `{"co":${i}}`, ...extra,
  });

  it('selects oldest first by reason, device and receive time, a page at a time after an id', () => {
    stores.deadLetters.add([letter(1), letter(2), letter(3, { reason: 'out_of_range' }), letter(4), letter(5)]);
    const all = stores.deadLetters.select({ reason: 'unknown_metric', from: 5_001, to: 5_006 }, { after: 0, limit: 100 });
    expect(all.map((l) => l.detail)).toEqual(['detail 1', 'detail 2', 'detail 4', 'detail 5']);
    expect(stores.deadLetters.select({ deviceId: 'r1', from: 5_001, to: 5_006 }, { after: 0, limit: 100 }).map((l) => l.detail)).toEqual(['detail 1', 'detail 3', 'detail 5']);
    expect(stores.deadLetters.select({ from: 5_002, to: 5_004 }, { after: 0, limit: 100 }).map((l) => l.detail)).toEqual(['detail 2', 'detail 3']);
    const page = stores.deadLetters.select({ reason: 'unknown_metric', from: 5_001 }, { after: 0, limit: 2 });
    expect(stores.deadLetters.select({ reason: 'unknown_metric', from: 5_001 }, { after: page[1]!.id, limit: 2 }).map((l) => l.detail)).toEqual(['detail 4', 'detail 5']);
  });

  it('removes letters and gives one a new reason', () => {
    stores.deadLetters.add([letter(11), letter(12)]);
    const [a, b] = stores.deadLetters.select({ from: 5_011, to: 5_013 }, { after: 0, limit: 10 });
    stores.deadLetters.remove([a!.id, 999_999]);
    stores.deadLetters.setReason(b!.id, 'out_of_range', 'co 9999 is above 2000');
    expect(stores.deadLetters.select({ from: 5_011, to: 5_013 }, { after: 0, limit: 10 })).toEqual([
      { ...letter(12), id: b!.id, reason: 'out_of_range', detail: 'co 9999 is above 2000' },
    ]);
  });
});

describe('dead letter store bound', () => {
  it('keeps whole payloads but at most its bound of payload bytes: past it the oldest go', () => {
    const dir = mkdtempSync(join(tmpdir(), 'citysense-dl-bytes-'));
    const bounded = createSqliteStores(dir, { deadLetterMaxBytes: 100 * 1024 });
    try {
      const payload = 'x'.repeat(10 * 1024);
      const letter = (i: number) => ({ receivedAt: 1000 + i, deviceId: 'd', topic: 't', reason: 'malformed_json' as const, detail: `detail ${i}`, payload });
      const bytes = () => onFile(dir, (db) => db.prepare('SELECT sum(length(payload)) FROM dead_letters').pluck().get() as number);
      for (let i = 0; i < 10; i++) bounded.deadLetters.add([letter(i)]);
      expect(bytes()).toBe(100 * 1024);
      expect(bounded.deadLetters.list({ limit: 1 })[0]!.payload).toBe(payload);
      bounded.deadLetters.add([letter(10)]);
      expect(bytes()).toBeLessThanOrEqual(100 * 1024);
      for (let i = 11; i < 40; i++) bounded.deadLetters.add([letter(i)]);
      expect(bytes()).toBeLessThanOrEqual(100 * 1024);
      expect(bounded.deadLetters.list({ limit: 1 })[0]!.detail).toBe('detail 39');
    } finally {
      bounded.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });


  it('never holds more than its bound: past it an add removes the oldest, down to 1% below', () => {
    const dir = mkdtempSync(join(tmpdir(), 'citysense-dl-bound-'));
    const bounded = createSqliteStores(dir, { deadLetterMaxRows: 200 });
    try {
      const letter = (i: number) => ({ receivedAt: 1000 + i, deviceId: 'd', topic: 't', reason: 'malformed_json' as const, detail: `detail ${i}`, payload: '{' });
      const count = () => onFile(dir, (db) => db.prepare('SELECT count(*) FROM dead_letters').pluck().get() as number);
      for (let i = 0; i < 199; i++) bounded.deadLetters.add([letter(i)]);
      expect(count()).toBe(199);
      bounded.deadLetters.add([letter(199), letter(200)]); // 201 > 200: the oldest go, to 198
      expect(count()).toBe(198);
      expect(bounded.deadLetters.list({ limit: 1000 }).at(-1)!.detail).toBe('detail 3');
      for (let i = 201; i < 1000; i++) {
        bounded.deadLetters.add([letter(i)]);
        expect(count()).toBeLessThanOrEqual(200);
      }
      expect(bounded.deadLetters.list({ limit: 1 })[0]!.detail).toBe('detail 999');
    } finally {
      bounded.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('installation values', () => {
  it('makes the device secret key once (32 random bytes) and gives the same one after a reopen', async () => {
    const key = stores.installation.deviceSecretKey();
    expect(key).toBeInstanceOf(Buffer);
    expect(key.length).toBe(32);
    expect(stores.installation.deviceSecretKey().equals(key)).toBe(true);
    await stores.close();
    stores = createSqliteStores(join(dir, 'nested'));
    expect(stores.installation.deviceSecretKey().equals(key)).toBe(true);
  });

  it('keeps the key in the database itself: a second opener of the same file (another node) reads the same key, and another database has its own', async () => {
    const other = createSqliteStores(join(dir, 'nested')); // opened before the first has made its key
    const elsewhere = createSqliteStores(join(dir, 'elsewhere'));
    try {
      const key = other.installation.deviceSecretKey();
      expect(stores.installation.deviceSecretKey().equals(key)).toBe(true);
      expect(elsewhere.installation.deviceSecretKey().equals(key)).toBe(false);
      expect(onFile(join(dir, 'nested'), (db) => db.prepare("SELECT value FROM installation WHERE name = 'device_secret_key'").pluck().get())).toEqual(key);
    } finally {
      await other.close();
      await elsewhere.close();
    }
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
