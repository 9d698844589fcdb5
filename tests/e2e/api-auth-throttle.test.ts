// The failed-authentication throttle counts failures only (CONTRACT.md sections 5 and 6): a valid token always
// passes, on REST and Socket.IO, and requests still in flight or aborted before their answer are no failures.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../fixtures/app.js';

/** Opens a raw HTTP connection that sends a POST's headers with `token` and only part of its body, then waits. */
async function partialPost(port: number, token: string): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  s.on('error', () => undefined);
  const body = '{"id":"half-sent","domain":"safety","type":"gas"}';
  s.write(`POST /api/devices HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
  s.write(body.slice(0, 10));
  return s;
}

describe('a valid token behind an address that failed 30 times', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => {
    await t.close();
  });

  it('still gets its answers over REST and connects over Socket.IO; bad tokens get 429 and rate_limited', async () => {
    const viewer = (await t.api('POST', '/api/tokens', { name: 'wall screen', role: 'viewer' })).body.token as string;
    for (let i = 0; i < 30; i++) expect((await t.api('GET', '/api/stats', undefined, `wrong-${i}`)).status).toBe(401);

    const locked = await t.api('GET', '/api/stats', undefined, 'wrong-30');
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('too_many_requests');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await t.api('GET', '/api/stats', undefined, null)).status).toBe(429);
    await expect(t.live('wrong-31')).rejects.toMatchObject({ message: 'rate_limited' });

    expect((await t.api('GET', '/api/stats')).status).toBe(200);
    expect((await t.api('GET', '/api/whoami', undefined, viewer)).body).toEqual({ name: 'wall screen', role: 'viewer' });
    expect((await t.api('POST', '/api/tokens', { name: 'x', role: 'viewer' }, viewer)).status).toBe(403); // its role still applies
    const live = await t.live(viewer);
    await live.waitFor((e) => e.event === 'alerts:snapshot', 'the snapshot');
    live.close();
  });
});

describe('requests that send a valid token and only part of their body', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    port = Number(new URL(t.httpUrl).port);
  });
  afterAll(async () => {
    await t.close();
  });

  it('do not lock their address out, in flight or aborted', async () => {
    const sockets: Socket[] = [];
    for (let i = 0; i < 31; i++) sockets.push(await partialPost(port, t.adminToken));
    // In flight: nothing was answered 401, so a bad token is still only unauthorized and a good one passes.
    expect((await t.api('GET', '/api/stats', undefined, 'wrong-1')).status).toBe(401);
    await expect(t.live('wrong-2')).rejects.toMatchObject({ message: 'unauthorized' });
    expect((await t.api('GET', '/api/stats')).status).toBe(200);

    const closed = sockets.map((s) => new Promise((resolve) => s.once('close', resolve)));
    for (const s of sockets) s.destroy();
    await Promise.all(closed);
    expect((await t.api('GET', '/api/stats', undefined, 'wrong-3')).status).toBe(401);
    await expect(t.live('wrong-4')).rejects.toMatchObject({ message: 'unauthorized' });
    expect((await t.api('GET', '/api/stats')).status).toBe(200);
    const live = await t.live();
    live.close();
    // The half-sent registrations never happened.
    expect((await t.api('GET', '/api/devices/half-sent')).status).toBe(404);
  });

  it('with a bad token count only once answered 401', async () => {
    // Bad-token requests that send their whole body are answered 401 and counted: 26 more reach the limit of 30
    // with the 4 failures of the test before.
    for (let i = 0; i < 26; i++) expect((await t.api('POST', '/api/devices', { id: `x${i}`, domain: 'safety', type: 'gas' }, `bad-${i}`)).status).toBe(401);
    expect((await t.api('GET', '/api/stats', undefined, 'bad-x')).status).toBe(429);
    await expect(t.live('bad-y')).rejects.toMatchObject({ message: 'rate_limited' });
    expect((await t.api('GET', '/api/stats')).status).toBe(200);
  });
});
