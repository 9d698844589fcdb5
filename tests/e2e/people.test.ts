// People (docs/contract.md section 11): users managed by admins, sign-in sessions in an HTTP-only cookie, the
// Origin check on cookie-authenticated writes, the per-username sign-in throttle, and sessions that end at once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { startChildApp } from '../fixtures/child-app.js';
import { eventually, startTestApp, uniqueId, type TestApp } from '../fixtures/app.js';

const PASSWORD = 'correct horse battery';

/** A signed-in browser's view: its cookie, and requests that send it with this origin. */
interface Browser {
  cookie: string;
  setCookie: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
}

async function signIn(t: TestApp, username: string, password = PASSWORD, headers: Record<string, string> = {}): Promise<Browser> {
  const res = await fetch(`${t.httpUrl}/api/session`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in of ${username}: ${res.status} ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie')!;
  const cookie = setCookie.split(';', 1)[0]!;
  const origin = t.httpUrl;
  return {
    cookie, setCookie,
    async call(method, path, body, extra = {}) {
      const r = await fetch(t.httpUrl + path, {
        method,
        headers: { cookie, origin, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...extra },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

async function createUser(t: TestApp, fields: Record<string, unknown>): Promise<any> {
  const res = await t.api('POST', '/api/users', { password: PASSWORD, role: 'operator', ...fields, username: fields.username ?? uniqueId('u'), name: fields.name ?? 'Someone' });
  if (res.status !== 201) throw new Error(`user: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

describe('users and sign-in sessions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { SESSION_IDLE_TIMEOUT: '3s' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('lets admins create, list, change and delete users, never showing a password, with clear refusals', async () => {
    const u = await createUser(t, { username: 'mei.health', name: 'Mei (Health)', scope: { domains: ['healthcare'] } });
    expect(u).toEqual({
      id: expect.any(String), username: 'mei.health', name: 'Mei (Health)', role: 'operator', scope: { domains: ['healthcare'] },
      disabled: false, createdAt: expect.any(String), updatedAt: expect.any(String),
    });
    const list = await t.api('GET', '/api/users');
    expect(list.status).toBe(200);
    expect(list.body.items.map((x: any) => x.username)).toEqual(expect.arrayContaining(['admin', 'mei.health']));
    expect(JSON.stringify(list.body)).not.toMatch(/scrypt|password/);
    expect((await t.api('GET', `/api/users/${u.id}`)).body).toEqual(u);

    expect((await t.api('POST', '/api/users', { username: 'MEI.HEALTH', name: 'x', role: 'viewer', password: PASSWORD })).status).toBe(409);
    const short = await t.api('POST', '/api/users', { username: 'bo', name: 'Bo', role: 'viewer', password: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.error.message).toMatch(/password/);
    expect((await t.api('PUT', `/api/users/${u.id}`, { scope: { colours: ['red'] } })).body.error.message).toMatch(/scope/);

    const changed = await t.api('PUT', `/api/users/${u.id}`, { name: 'Mei Lin', scope: null });
    expect(changed.status).toBe(200);
    expect(changed.body).not.toHaveProperty('scope');
    expect(changed.body.name).toBe('Mei Lin');
    expect((await t.api('PUT', '/api/users/nobody', { name: 'x' })).status).toBe(404);

    const viewer = (await t.api('POST', '/api/tokens', { name: 'wall', role: 'viewer' })).body.token;
    expect((await t.api('GET', '/api/users', undefined, viewer)).status).toBe(403);
    expect((await t.api('DELETE', `/api/users/${u.id}`)).status).toBe(204);
    expect((await t.api('GET', `/api/users/${u.id}`)).status).toBe(404);
  });

  it('signs in with a password into an HTTP-only, SameSite=Strict cookie (Secure behind HTTPS) and signs out', async () => {
    await createUser(t, { username: 'ops.kim', name: 'Kim (Ops)', role: 'operator' });
    const b = await signIn(t, 'ops.kim');
    expect(b.setCookie).toMatch(/^citysense_session=[\w-]{40,};/);
    expect(b.setCookie).toMatch(/; HttpOnly/i);
    expect(b.setCookie).toMatch(/; SameSite=Strict/i);
    expect(b.setCookie).toMatch(/; Path=\//);
    expect(b.setCookie).not.toMatch(/Secure/i);
    expect((await signIn(t, 'OPS.KIM', PASSWORD, { 'x-forwarded-proto': 'https' })).setCookie).toMatch(/; Secure/i);

    const me = await b.call('GET', '/api/whoami');
    expect(me).toEqual({ status: 200, body: { name: 'Kim (Ops)', role: 'operator', userId: expect.any(String), username: 'ops.kim' } });
    expect((await b.call('GET', '/api/users')).status).toBe(403); // an operator's cookie is no admin's

    const wrong = await fetch(`${t.httpUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ops.kim', password: 'not it at all' }) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(((await wrong.json()) as any).error.code).toBe('invalid_credentials');

    expect((await b.call('DELETE', '/api/session')).status).toBe(204);
    expect((await b.call('GET', '/api/whoami')).status).toBe(401);
  });

  it('refuses a cross-site form POST that carries the session cookie, and a cookie write without Origin', async () => {
    await createUser(t, { username: 'csrf.target', role: 'admin', name: 'Admin Two' });
    const b = await signIn(t, 'csrf.target');
    const form = 'name=evil&role=admin';
    const cross = await b.call('POST', '/api/tokens', form, { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
    expect(cross.body.error.code).toBe('cross_site_request');
    const noOrigin = await fetch(`${t.httpUrl}/api/tokens`, { method: 'POST', headers: { cookie: b.cookie, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', role: 'viewer' }) });
    expect(noOrigin.status).toBe(403);
    expect((await t.api('GET', '/api/tokens')).body.items.map((x: any) => x.name)).not.toContain('evil');
    // From the console's own origin the same write goes through; reads need no Origin.
    expect((await b.call('POST', '/api/tokens', { name: 'kiosk', role: 'viewer' })).status).toBe(201);
    expect((await fetch(`${t.httpUrl}/api/whoami`, { headers: { cookie: b.cookie } })).status).toBe(200);
    // A sign-in posted from another site is refused before any password check.
    const login = await fetch(`${t.httpUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: JSON.stringify({ username: 'csrf.target', password: PASSWORD }) });
    expect(login.status).toBe(403);
  });

  it('ends a session after inactivity (SESSION_IDLE_TIMEOUT) but not while it is used', async () => {
    await createUser(t, { username: 'idle.ida', name: 'Ida' });
    const busy = await signIn(t, 'idle.ida');
    const idle = await signIn(t, 'idle.ida');
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 800));
      expect((await busy.call('GET', '/api/whoami')).status).toBe(200);
    }
    expect((await idle.call('GET', '/api/whoami')).status).toBe(401);
  });

  it('ends the Socket.IO connection of a session that idles out', async () => {
    await createUser(t, { username: 'socket.only', name: 'Socket Only' });
    const b = await signIn(t, 'socket.only');
    const socket = io(t.httpUrl, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie: b.cookie, origin: t.httpUrl } });
    await new Promise<void>((resolve, reject) => { socket.once('connect', () => resolve()); socket.once('connect_error', reject); });
    const reason = await new Promise<string>((resolve) => socket.once('disconnect', resolve));
    expect(reason).toBe('io server disconnect');
    expect((await b.call('GET', '/api/whoami')).status).toBe(401);
  }, 30_000);

  it('ends every session and Socket.IO connection of a user at once when they are disabled or deleted', async () => {
    const u = await createUser(t, { username: 'leaving.lee', name: 'Lee' });
    const other = await createUser(t, { username: 'staying.sue', name: 'Sue' });
    const b = await signIn(t, 'leaving.lee');
    const s = await signIn(t, 'staying.sue');
    const connect = (cookie: string) => new Promise<ReturnType<typeof io>>((resolve, reject) => {
      const socket = io(t.httpUrl, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie, origin: t.httpUrl } });
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (e) => { socket.disconnect(); reject(e); });
    });
    const lee = await connect(b.cookie);
    const sue = await connect(s.cookie);
    const reason = new Promise<string>((resolve) => lee.once('disconnect', resolve));
    expect((await t.api('PUT', `/api/users/${u.id}`, { disabled: true })).status).toBe(200);
    expect(await reason).toBe('io server disconnect');
    expect((await b.call('GET', '/api/whoami')).status).toBe(401);
    await expect(connect(b.cookie)).rejects.toMatchObject({ message: 'unauthorized' });
    await expect(signIn(t, 'leaving.lee')).rejects.toThrow(/401/);
    expect(sue.connected).toBe(true);

    const gone = new Promise<string>((resolve) => sue.once('disconnect', resolve));
    expect((await t.api('DELETE', `/api/users/${other.id}`)).status).toBe(204);
    expect(await gone).toBe('io server disconnect');
    expect((await s.call('GET', '/api/whoami')).status).toBe(401);
    // A cookie from another site's page does not open a connection.
    await createUser(t, { username: 'ws.wu', name: 'Wu' });
    const w = await signIn(t, 'ws.wu');
    const cross = io(t.httpUrl, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie: w.cookie, origin: 'http://evil.example' } });
    await expect(new Promise<void>((resolve, reject) => { cross.once('connect', () => resolve()); cross.once('connect_error', reject); })).rejects.toMatchObject({ message: 'unauthorized' });
    cross.disconnect();
  });
});

// Its own app: the throttle's counts last a minute.
describe('the sign-in throttle', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a username after repeated bad passwords, without stopping another user from the same address', async () => {
    await createUser(t, { username: 'target', name: 'Target' });
    await createUser(t, { username: 'colleague', name: 'Colleague' });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await fetch(`${t.httpUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'target', password: `guess-${i}-xxxx` }) });
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(new Set(statuses.slice(10))).toEqual(new Set([429]));
    // The right password is refused too while the username is locked: the throttle is no oracle.
    const locked = await fetch(`${t.httpUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'target', password: PASSWORD }) });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another person at the same address signs in, and tokens from it still work.
    const b = await signIn(t, 'colleague');
    expect((await b.call('GET', '/api/whoami')).body.name).toBe('Colleague');
    expect((await t.api('GET', '/api/stats')).status).toBe(200);
  }, 60_000);
});

describe('first start', () => {
  it('creates an admin user and prints how to sign in, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'citysense-people-'));
    try {
      const app = await startChildApp({ DATA_DIR: dir });
      const printed = await eventually(() => app.lines.find((l) => typeof l === 'string' && /as admin with password/.test(l)) as string | undefined, 'the admin user line');
      const password = /with password (\S+)/.exec(printed ?? '')![1]!;
      expect(app.lines.some((l) => typeof l === 'string' && l.includes('/api/session'))).toBe(true);
      const res = await fetch(`${app.httpUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).user).toMatchObject({ name: 'Administrator', role: 'admin', username: 'admin' });
      app.proc.kill('SIGTERM');
      expect(await app.exited).toBe(0);
      const again = await startChildApp({ DATA_DIR: dir });
      await new Promise((r) => setTimeout(r, 300));
      expect(again.lines.some((l) => typeof l === 'string' && /as admin with password/.test(l))).toBe(false);
      again.proc.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('rule changes credited', () => {
  it('records who created, changed, disabled and enabled a rule, shows it in GET /api/rules, and logs each change at info', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'citysense-rules-credit-'));
    const adminToken = randomBytes(24).toString('hex');
    try {
      const app = await startChildApp({ DATA_DIR: dir, ADMIN_TOKEN: adminToken });
      const asAdmin = async (method: string, path: string, body?: unknown, token = adminToken) => {
        const r = await fetch(app.httpUrl + path, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
        const text = await r.text();
        return { status: r.status, body: text ? JSON.parse(text) : undefined };
      };
      const user = (await asAdmin('POST', '/api/users', { username: 'rules.ana', name: 'Ana (Rules)', role: 'admin', password: PASSWORD })).body;
      const ana = await signIn({ httpUrl: app.httpUrl } as TestApp, 'rules.ana');
      const token = (await asAdmin('POST', '/api/tokens', { name: 'rules bot', role: 'admin' })).body;
      const rule = { id: 'co-credit', name: 'co credited', enabled: true, match: { type: 'gas' }, metric: 'co', condition: { op: '>', value: 60 }, for: '0', severity: 'warning' };

      const created = await ana.call('POST', '/api/rules', rule);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ createdBy: { id: user.id, name: 'Ana (Rules)' }, updatedBy: null });
      const disabled = await asAdmin('PUT', '/api/rules/co-credit', { ...rule, enabled: false }, token.token);
      expect(disabled.status).toBe(200);
      expect(disabled.body).toMatchObject({ enabled: false, createdBy: { id: user.id, name: 'Ana (Rules)' }, updatedBy: { id: `token:${token.id}`, name: 'rules bot' } });
      expect(Date.parse(disabled.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.body.createdAt));
      await ana.call('PUT', '/api/rules/co-credit', { ...rule, enabled: true });
      await ana.call('PUT', '/api/rules/co-credit', { ...rule, name: 'co credited, renamed' });
      const listed = (await asAdmin('GET', '/api/rules')).body.items;
      expect(listed.find((r: any) => r.id === 'co-credit')).toMatchObject({ name: 'co credited, renamed', createdBy: { id: user.id, name: 'Ana (Rules)' }, updatedBy: { id: user.id, name: 'Ana (Rules)' } });
      // The built-in rules have no author and are unchanged.
      expect(listed.find((r: any) => r.builtin)).toMatchObject({ createdBy: null, updatedBy: null });
      expect((await asAdmin('DELETE', '/api/rules/co-credit', undefined, token.token)).status).toBe(204);

      const changes = await eventually(() => {
        const lines = app.lines.filter((l: any) => l?.ruleId === 'co-credit' && l.level === 30) as any[];
        return lines.length === 5 ? lines : undefined;
      }, 'five rule change log lines');
      expect(changes!.map((l) => [l.change, l.by, l.byId])).toEqual([
        ['created', 'Ana (Rules)', user.id],
        ['disabled', 'rules bot', `token:${token.id}`],
        ['enabled', 'Ana (Rules)', user.id],
        ['updated', 'Ana (Rules)', user.id],
        ['deleted', 'rules bot', `token:${token.id}`],
      ]);
      app.proc.kill('SIGTERM');
      expect(await app.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
