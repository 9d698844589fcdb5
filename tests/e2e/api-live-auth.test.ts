// Socket.IO authentication beyond a single handshake (CONTRACT.md sections 5 and 6): revoking a token ends the
// connections made with it, as deleting a device disconnects its MQTT client; failed handshakes are throttled
// together with failed REST requests.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type LiveClient, type TestApp } from '../fixtures/app.js';

/** Resolves with the disconnect reason; rejects if the client is still connected after `timeoutMs`. */
function disconnected(c: LiveClient, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still connected after ${timeoutMs} ms`)), timeoutMs);
    c.socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

describe('a revoked API token', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => {
    await t.close();
  });

  it('loses every Socket.IO connection made with it at once; the others stay, and a reconnect is refused', async () => {
    const created = await t.api('POST', '/api/tokens', { name: 'wall screen', role: 'viewer' });
    expect(created.status).toBe(201);
    const revoked = [await t.live(created.body.token), await t.live(created.body.token)];
    const other = await t.live();
    for (const c of [...revoked, other]) await c.waitFor((e) => e.event === 'alerts:snapshot', 'the snapshot on connect');

    const ends = Promise.all(revoked.map((c) => disconnected(c)));
    expect((await t.api('DELETE', `/api/tokens/${created.body.id}`)).status).toBe(204);
    // Ended by the server on purpose: a client does not retry on its own.
    expect(await ends).toEqual(['io server disconnect', 'io server disconnect']);

    // The connection of another token goes on: it answers subscribe and gets the next alert, the revoked ones not.
    expect(other.socket.connected).toBe(true);
    expect(await other.subscribe({ domains: ['safety'] })).toEqual({ domains: ['safety'] });
    const s = await t.sensor('safety', 'gas');
    await s.send({ co: 80 });
    await other.waitFor((e) => e.event === 'alert:fired' && e.payload.deviceId === s.id, 'alert:fired on the other client');
    for (const c of revoked) expect(c.events.filter((e) => e.event === 'alert:fired')).toEqual([]);

    await expect(t.live(created.body.token)).rejects.toMatchObject({ message: 'unauthorized' });
    other.close();
  });
});

// Its own app: the lockout it ends in would refuse every later test from this address for a minute.
describe('failed authentications over Socket.IO', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => {
    await t.close();
  });

  it('count with failed REST requests per address: past 30 a bad handshake gets rate_limited and REST 429; good tokens still pass', async () => {
    // 29 failures, every other one over REST: one count, not two of 15.
    for (let i = 0; i < 29; i++) {
      if (i % 2) await expect(t.live(`wrong-${i}`)).rejects.toMatchObject({ message: 'unauthorized' });
      else expect((await t.api('GET', '/api/stats', undefined, `wrong-${i}`)).status).toBe(401);
    }
    // Below the limit a good token connects (and does not count); the 30th failure is still only unauthorized.
    const ok = await t.live();
    ok.close();
    await expect(t.live('wrong-29')).rejects.toMatchObject({ message: 'unauthorized' });

    await expect(t.live('wrong-30')).rejects.toMatchObject({ message: 'rate_limited' });
    await expect(t.live(null)).rejects.toMatchObject({ message: 'rate_limited' });
    expect((await t.api('GET', '/api/stats', undefined, 'wrong-31')).status).toBe(429);
    // A valid token is never locked out with the bad ones (issue 15: one NAT address for a whole control room).
    const still = await t.live();
    still.close();
    expect((await t.api('GET', '/api/stats')).status).toBe(200);
  });
});
