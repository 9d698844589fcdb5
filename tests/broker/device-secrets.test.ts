import { afterEach, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hashSecret, newSecret } from '../../src/core/index.js';
import { META_MIGRATIONS } from '../../src/storage/sqlite/meta-migrations.js';
import { startTestApp, type TestApp } from '../fixtures/app.js';
import { startChildApp } from '../fixtures/child-app.js';

/** The stored hash of a device, read beside the running app (another connection to its citysense.db). */
function storedHash(dataDir: string, id: string): string | undefined {
  const db = new Database(join(dataDir, 'citysense.db'), { readonly: true });
  try {
    return db.prepare<[string], string>('SELECT secret_hash FROM devices WHERE id = ?').pluck().get(id);
  } finally {
    db.close();
  }
}

/** A citysense.db as an earlier version left it: schema version 1, device secrets as scrypt hashes. */
async function oldDatabase(dataDir: string, devices: Array<{ id: string; password: string }>): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'citysense.db'));
  db.pragma('journal_mode = WAL');
  db.exec(META_MIGRATIONS[0]!.up as string);
  db.pragma('user_version = 1');
  const insert = db.prepare("INSERT INTO devices (id, domain, type, secret_hash, created_at) VALUES (?, 'safety', 'gas', ?, 0)");
  for (const d of devices) insert.run(d.id, await hashSecret(d.password));
  db.close();
}

const connectCode = (t: TestApp, username: string, password: string) =>
  t.connect({ username, password }).then(async (c) => { await c.endAsync(); return 0; }, (e: { code?: number }) => e.code ?? -1);

describe('device secrets in citysense.db', () => {
  const dirs: string[] = [];
  const apps: TestApp[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'citysense-secrets-'));
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('logs in a device whose secret an earlier version stored with scrypt, then keeps the keyed hash; a wrong secret never upgrades', async () => {
    const dataDir = tempDir();
    const upgraded = { id: 'old-gas-1', password: newSecret() };
    const untouched = { id: 'old-gas-2', password: newSecret() };
    await oldDatabase(dataDir, [upgraded, untouched]);
    const scryptHash = storedHash(dataDir, untouched.id)!;
    const t = await startTestApp('sqlite', {}, dataDir);
    apps.push(t);

    expect(await connectCode(t, untouched.id, 'not-the-secret')).toBe(4);
    expect(await connectCode(t, untouched.id, `${untouched.password}x`)).toBe(4);
    expect(storedHash(dataDir, untouched.id)).toBe(scryptHash);

    expect(storedHash(dataDir, upgraded.id)).toMatch(/^scrypt\$/);
    expect(await connectCode(t, upgraded.id, upgraded.password)).toBe(0);
    expect(storedHash(dataDir, upgraded.id)).toMatch(/^hmac-sha256\$[A-Za-z0-9_-]{43}$/);
    expect(await connectCode(t, upgraded.id, upgraded.password)).toBe(0);
    expect(await connectCode(t, upgraded.id, 'not-the-secret')).toBe(4);
    expect(await connectCode(t, untouched.id, untouched.password)).toBe(0); // still good after the failures
  }, 60_000);

  it('stores registered and rotated secrets keyed, under a key that lives in citysense.db: the database alone, opened elsewhere, still logs them in', async () => {
    const first = tempDir();
    const t = await startTestApp('sqlite', {}, first);
    apps.push(t);
    const d = await t.device('safety', 'gas');
    expect(storedHash(first, d.id)).toMatch(/^hmac-sha256\$/);
    const rotated = await t.api('POST', `/api/devices/${d.id}/credentials`);
    expect(rotated.status).toBe(200);
    const password = rotated.body.credentials.password as string;
    expect(storedHash(first, d.id)).toMatch(/^hmac-sha256\$/);
    expect(await connectCode(t, d.username, d.password)).toBe(4);
    expect(await connectCode(t, d.username, password)).toBe(0);
    await apps.pop()!.close();
    expect(readdirSync(first).filter((f) => /key/i.test(f))).toEqual([]); // no key file beside the database

    // Another node (another DATA_DIR) that gets only the shared state, citysense.db, verifies with the same key.
    const second = tempDir();
    copyFileSync(join(first, 'citysense.db'), join(second, 'citysense.db'));
    const u = await startTestApp('sqlite', {}, second);
    apps.push(u);
    expect(await connectCode(u, d.username, password)).toBe(0);
    expect(await connectCode(u, d.username, d.password)).toBe(4);
  }, 60_000);

  it('says at start how many devices still have scrypt hashes (the built app, as npm start runs it)', async () => {
    const dataDir = tempDir();
    await oldDatabase(dataDir, [{ id: 'old-a', password: newSecret() }, { id: 'old-b', password: newSecret() }]);
    const child = await startChildApp({ DATA_DIR: dataDir });
    try {
      const line = child.lines.find((l) => (l as { msg?: string }).msg?.startsWith('device secrets:'));
      expect(line).toMatchObject({ level: 30, devices: 2, msg: expect.stringMatching(/^device secrets: 2 still stored as scrypt hashes/) });
    } finally {
      child.proc.kill('SIGTERM');
      await child.exited;
    }
  }, 60_000);
});
