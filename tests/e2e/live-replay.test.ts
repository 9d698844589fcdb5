// Socket.IO under hostile use: the replay of `subscribe {since}` goes in pages, is capped, `subscribe` is
// rate-limited, and a client that does not read is told and dropped; memory stays bounded (CONTRACT.md section 6).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { io as connectClient, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import type { AlertView } from '../../src/alerts/index.js';
import { hashToken, newSecret } from '../../src/core/index.js';
import { createAuthenticator } from '../../src/dashboard-api/auth.js';
import { attachLive, type Live, type LiveDeps } from '../../src/dashboard-api/live.js';
import type { LiveLimits } from '../../src/dashboard-api/live-flow.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../src/dashboard-api/index.js';
import type { TokenStore } from '../../src/storage/index.js';
import { deviceId, log, reading, startEngine, until, type EngineHarness } from '../alerts/fixture.js';
import { metricValue } from '../broker/fixture.js';
import { eventually } from '../fixtures/app.js';
import { heapMb } from '../fixtures/heap.js';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
interface Received { event: string; payload: any }

const noTokens = { findByHash: () => undefined, delete: () => false } as unknown as TokenStore;

/** A real alert engine (SQLite) with a Socket.IO server attached under the given limits. */
async function startLive(limits: Partial<LiveLimits>, extra: { tokens?: TokenStore; devices?: LiveDeps['devices'] } = {}) {
  const h = await startEngine();
  const token = newSecret();
  const metrics = new Registry();
  const server: Server = createServer((_req, res) => res.end('ok'));
  const live: Live = attachLive(server, { alerts: h.engine, authenticate: createAuthenticator(extra.tokens ?? noTokens, token), devices: extra.devices, log, metrics, limits });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: Client[] = [];
  return {
    h, live, metrics, base, token,
    /** A socket.io-client that records every event from the handshake on. */
    async connect(as = token): Promise<{ socket: Client; got: Received[] }> {
      const socket: Client = connectClient(base, { auth: { token: as }, transports: ['websocket'], reconnection: false, forceNew: true });
      clients.push(socket);
      const got: Received[] = [];
      socket.onAny((event: string, payload: unknown) => got.push({ event, payload }));
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      return { socket, got };
    },
    async close() {
      for (const c of clients) c.disconnect();
      await live.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await h.close();
    },
  };
}

/** `pairs` alerts fired and resolved on one smoke detector: 2 × pairs transitions. */
function flap(h: EngineHarness, dev: string, pairs: number, t0 = Date.now()): void {
  for (let i = 0; i < pairs; i++) {
    h.engine.evaluate([reading(dev, 'safety', 'smoke', t0 + 2 * i, { obscuration: 50 })]);
    h.engine.evaluate([reading(dev, 'safety', 'smoke', t0 + 2 * i + 1, { obscuration: 0 })]);
  }
}

const alertIds = (got: Received[]) => got.filter((g) => g.event.startsWith('alert:')).map((g) => (g.payload as AlertView).eventId);

/**
 * A raw Socket.IO client over WebSocket that stops reading once connected: what the server sends piles up for it.
 * Engine.IO v4 frames: `0` open, `40{auth}` connect, `42[event, data]` event (`42N[...]` with ack id N).
 */
async function nonReader(base: string, token: string): Promise<{ ws: WebSocket; text: () => string; closed: Promise<void> }> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  let text = '';
  ws.on('message', (m: Buffer) => { text += m.toString(); });
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  await until(() => text.startsWith('0'), 'the Engine.IO open packet');
  ws.send(`40${JSON.stringify({ token })}`);
  await until(() => text.includes('40{"sid"'), 'the Socket.IO connect');
  ws.pause();
  return { ws, text: () => text, closed };
}

describe('Socket.IO replay and slow consumers', () => {
  it('replays in pages to a client that reads: every transition once, in order, then live ones; a newer subscribe is rate-limited past its bound', async () => {
    const s = await startLive({ replayPage: 50, replayMax: 100_000, subscribesPerMinute: 3 });
    try {
      const dev = deviceId('smoke');
      flap(s.h, dev, 120);
      const { socket, got } = await s.connect();
      expect(await socket.timeout(5000).emitWithAck('subscribe', { deviceIds: [dev], since: 0 })).toEqual({ deviceIds: [dev] });
      flap(s.h, dev, 1, Date.now() + 10_000); // while the replay is under way
      await until(() => alertIds(got).length === 242, 'all 242 transitions', 20_000);
      const ids = alertIds(got);
      expect(new Set(ids).size).toBe(242);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      // Its snapshot comes after the replay, and live events after that.
      expect(got.filter((g) => g.event === 'alerts:snapshot').length).toBe(2);
      flap(s.h, dev, 1, Date.now() + 20_000);
      await until(() => alertIds(got).length === 244, 'the live transitions');

      expect(await socket.timeout(5000).emitWithAck('subscribe', {})).toEqual({});
      expect(await socket.timeout(5000).emitWithAck('subscribe', {})).toEqual({});
      expect(await socket.timeout(5000).emitWithAck('subscribe', {})).toMatchObject({ error: { code: 'rate_limited', message: expect.stringMatching(/3 subscribe requests a minute/) } });
    } finally {
      await s.close();
    }
  }, 60_000);

  it('caps one replay and tells the client where to resume; resubscribing from there misses nothing and repeats nothing', async () => {
    const s = await startLive({ replayPage: 40, replayMax: 120 });
    try {
      const dev = deviceId('smoke');
      flap(s.h, dev, 100);
      const { socket, got } = await s.connect();
      await socket.timeout(5000).emitWithAck('subscribe', { deviceIds: [dev], since: 0 });
      const capped = await until(() => got.find((g) => g.event === 'replay:capped'), 'replay:capped');
      expect(alertIds(got).length).toBe(120);
      expect(capped.payload.since).toBe(alertIds(got)[119]);
      flap(s.h, dev, 1, Date.now() + 10_000); // not live until it resubscribes: comes in the replay instead
      expect(got.filter((g) => g.event === 'alerts:snapshot').length).toBe(1);
      await socket.timeout(5000).emitWithAck('subscribe', { deviceIds: [dev], since: capped.payload.since });
      await until(() => got.filter((g) => g.event === 'alerts:snapshot').length === 2, 'the snapshot after the replay');
      const ids = alertIds(got);
      expect(ids.length).toBe(202);
      expect(new Set(ids).size).toBe(202);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    } finally {
      await s.close();
    }
  }, 60_000);

  it('drops a client that does not read once its backlog passes the bound, telling it first', async () => {
    const s = await startLive({ replayPage: 500, subscribesPerMinute: 1000, maxBufferedPackets: 200, maxBufferedBytes: 256 * 1024 });
    try {
      flap(s.h, deviceId('smoke'), 1000);
      const c = await nonReader(s.base, s.token);
      for (let i = 0; i < 100; i++) c.ws.send(`42${i}["subscribe",{"since":0}]`);
      await eventually(async () => (await metricValue(s.metrics, 'citysense_socketio_clients_dropped_total')) === 1, 'the client dropped', 20_000);
      expect(s.live.clients()).toBe(0);
      c.ws.resume();
      await c.closed;
      expect(c.text()).toContain('42["live:overflow",{"code":"slow_consumer"');
    } finally {
      await s.close();
    }
  }, 60_000);

  it('keeps memory bounded when a client that does not read asks for the whole history again and again', async () => {
    const s = await startLive({});
    try {
      flap(s.h, deviceId('smoke'), 1000);
      const before = heapMb();
      const c = await nonReader(s.base, s.token);
      for (let i = 0; i < 150; i++) c.ws.send(`42${i}["subscribe",{"since":0}]`);
      await new Promise((r) => setTimeout(r, 2000));
      const grown = heapMb() - before;
      const health = await fetch(s.base);
      expect(health.status).toBe(200);
      expect(grown).toBeLessThan(40);
      c.ws.terminate();
    } finally {
      await s.close();
    }
  }, 60_000);

  it('answers a request whose handling fails with an internal error, and the server and the connection live on', async () => {
    // A scoped client's watch looks each device up; here the lookup fails as a store that lost its disk would.
    const scoped = newSecret();
    const tokens = {
      findByHash: (hash: string) => (hash === hashToken(scoped) ? { id: 'north', name: 'north desk', role: 'viewer', scope: { districts: ['Xixia'] }, createdAt: 0 } : undefined),
      delete: () => false,
    } as unknown as TokenStore;
    const devices = { get: (id: string) => { if (id === 'broken-1') throw new Error('disk I/O error'); return { domain: 'safety', type: 'gas', district: 'Xixia' }; } };
    const s = await startLive({}, { tokens, devices });
    try {
      const { socket } = await s.connect(scoped);
      expect(await socket.timeout(5000).emitWithAck('watch', { deviceIds: ['gas-1', 'broken-1'] }))
        .toEqual({ error: { code: 'internal', message: expect.stringMatching(/failed to handle this request/) } });
      // Bad input is still answered naming the field, and the same connection goes on being served.
      expect(await socket.timeout(5000).emitWithAck('watch', { deviceIds: ['no spaces'] }))
        .toEqual({ error: { code: 'bad_request', message: expect.stringMatching(/^deviceIds\.0: must be device ids/) } });
      expect(await socket.timeout(5000).emitWithAck('watch', { deviceIds: ['gas-1'] })).toEqual({ deviceIds: ['gas-1'] });
      expect(await socket.timeout(5000).emitWithAck('subscribe', { severities: ['critical'] })).toEqual({ severities: ['critical'] });
      expect(socket.connected).toBe(true);
    } finally {
      await s.close();
    }
  }, 30_000);
});
