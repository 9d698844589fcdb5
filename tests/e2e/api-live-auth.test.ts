// Socket.IO authentication after the handshake (CONTRACT.md sections 5 and 6): revoking a token ends the
// connections made with it, as deleting a device disconnects its MQTT client.
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
