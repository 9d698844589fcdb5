import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import type { BrokerOptions } from '../../src/broker/index.js';
import { startPrivateRedis, type PrivateRedis } from '../fixtures/redis.js';
import { closed, eventually, MemoryRegistry, sleep, startTestBroker, uniqueId, type TestBroker } from './fixture.js';

// The broker across nodes (REDIS_URL): two brokers of one installation (one device registry) share a real Redis.
// Waits are generous: the machine is shared, and nothing here asserts speed.
const WAIT = 20_000;

let redis: PrivateRedis;
let db: Redis;
const started: TestBroker[] = [];

beforeAll(async () => {
  redis = await startPrivateRedis();
  db = new Redis(redis.url);
}, 30_000);

afterEach(async () => {
  await Promise.all(started.splice(0).map((b) => b.close()));
});

afterAll(async () => {
  db.disconnect();
  await redis.close();
});

/** Two nodes sharing `url` and one registry; node A logs (at info) into `logs` when given. */
async function twoNodes(url = redis.url, opts: Partial<BrokerOptions> = {}, logs?: Record<string, unknown>[]): Promise<[TestBroker, TestBroker]> {
  const registry = new MemoryRegistry();
  const log = logs && pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  const a = await startTestBroker({ redisUrl: url, ...opts }, log, registry);
  started.push(a);
  const b = await startTestBroker({ redisUrl: url, ...opts }, undefined, registry);
  started.push(b);
  return [a, b];
}

const reading = (i: number) => JSON.stringify({ co: i % 50, ch4: 1 });

describe('the broker across nodes (REDIS_URL)', () => {
  it('resumes on node B a persistent session made on node A, with the session present flag and what was queued while away', async () => {
    const [a, b] = await twoNodes(redis.url, { allowAnonymous: true });
    const topic = `city/safety/gas/${uniqueId('gas')}/status`;
    const clientId = uniqueId('watch');
    const watcher = await a.connect({ clientId, clean: false });
    await watcher.subscribeAsync(topic, { qos: 1 });
    await watcher.endAsync();

    const publisher = await b.connect({ clientId: uniqueId('pub') });
    await publisher.publishAsync(topic, 'online', { qos: 1 });
    // Queued in Redis for the offline session (aedes-persistence-redis keeps it under outgoing:{clientId}).
    await eventually(async () => (await db.llen(`outgoing:${encodeURIComponent(clientId)}`)) === 1, 'the message queued for the session', WAIT);

    let sessionPresent: boolean | undefined;
    const got: string[] = [];
    await b.connect({ clientId, clean: false }, undefined, (c) => {
      c.once('connect', (ack) => { sessionPresent = ack.sessionPresent; });
      c.on('message', (t, m) => got.push(`${t} ${m}`));
    });
    expect(sessionPresent).toBe(true);
    await eventually(() => got.length === 1, 'the queued message on node B', WAIT);
    expect(got).toEqual([`${topic} online`]);
  }, 60_000);

  it('serves a retained message stored through one node to a subscriber on the other', async () => {
    const [a, b] = await twoNodes(redis.url, { allowAnonymous: true });
    const topic = `city/safety/gas/${uniqueId('gas')}/status`;
    const publisher = await a.connect({ clientId: uniqueId('pub') });
    await publisher.publishAsync(topic, 'offline', { qos: 1, retain: true });
    await eventually(async () => (await db.hexists('retained', topic)) === 1, 'the retained message in Redis', WAIT);
    const got: string[] = [];
    const sub = await b.connect({ clientId: uniqueId('sub') }, undefined, (c) => c.on('message', (t, m, p) => got.push(`${t} ${m} retain=${p.retain}`)));
    await sub.subscribeAsync(topic, { qos: 1 });
    await eventually(() => got.length === 1, 'the retained message on node B', WAIT);
    expect(got).toEqual([`${topic} offline retain=true`]);
  }, 60_000);

  it('lets the same device take its client id over on node B: its connection on node A is closed', async () => {
    const [a, b] = await twoNodes();
    const d = await a.registry.add(uniqueId('gas'), 'safety', 'gas');
    const clientId = uniqueId('take');
    const first = await a.connectAs(d, { clientId });
    const firstClosed = closed(first);
    const second = await b.connectAs(d, { clientId });
    await firstClosed;
    await eventually(() => !a.broker.isOnline(d.id) && b.broker.isOnline(d.id), 'the device online on node B only', WAIT);
    expect(second.connected).toBe(true);
  }, 60_000);

  it('consumes readings on the node that received them: 1,000 (QoS 1 and 2) stored once, none through Redis', async () => {
    const [a, b] = await twoNodes();
    const d = await a.registry.add(uniqueId('gas'), 'safety', 'gas');
    const device = await a.connectAs(d);
    await eventually(() => a.broker.isOnline(d.id), 'the device online', WAIT);
    await sleep(200); // its presence (a status message, which does go through Redis) is out before counting
    const monitor = await redis.monitor();
    // 900 at QoS 1, then 100 at QoS 2 (whose receive state, ids awaiting PUBREL, stays on the node too).
    for (let i = 0; i < 1000; i += 100) {
      const qos = i < 900 ? 1 : 2;
      await Promise.all(Array.from({ length: 100 }, (_, j) => device.publishAsync(d.topic, reading(i + j), { qos })));
    }
    await sleep(200);
    await monitor.stop();

    const mine = a.handler.handled.filter((m) => m.deviceId === d.id);
    expect(mine).toHaveLength(1000);
    expect(b.handler.handled).toHaveLength(0);
    expect(monitor.lines.filter((l) => l.includes(d.topic) || l.includes(d.id))).toEqual([]);
    // What Redis did see in that time (heartbeats, at most) is not one command per reading.
    expect(monitor.lines.length).toBeLessThan(50);
  }, 120_000);
});

describe('the broker across nodes while Redis restarts', () => {
  let own: PrivateRedis;
  beforeAll(async () => { own = await startPrivateRedis(); }, 30_000);
  afterAll(async () => { await own.close(); });

  it('loses no acknowledged reading, delays new connections until Redis is back, and recovers by itself', async () => {
    const logs: Record<string, unknown>[] = [];
    const [a, b] = await twoNodes(own.url, { allowAnonymous: true }, logs);
    const d = await a.registry.add(uniqueId('gas'), 'safety', 'gas');
    const device = await a.connectAs(d);
    // A subscriber on node B from before the outage, to see the bus carry messages again afterwards.
    const statusTopic = `city/safety/gas/${uniqueId('gas')}/status`;
    const got: string[] = [];
    const watcher = await b.connect({ clientId: uniqueId('watch') }, undefined, (c) => c.on('message', (t, m) => got.push(`${t} ${m}`)));
    await watcher.subscribeAsync(statusTopic, { qos: 1 });

    let acked = 0;
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await device.publishAsync(d.topic, reading(acked), { qos: 1 });
        acked++;
      }
    };
    await send(100);
    await own.stop();
    await send(100); // Redis down: telemetry does not need it, so each still gets its PUBACK
    expect(acked).toBe(200);

    // A new connection while Redis is down waits for it (its CONNACK needs the session lookup).
    const other = await a.registry.add(uniqueId('gas'), 'safety', 'gas');
    let connack: number | undefined;
    const late = b.connectAs(other, { connectTimeout: 60_000 }, (c: MqttClient) => c.once('connect', () => { connack = Date.now(); }));
    await sleep(1000);
    expect(connack).toBeUndefined();
    const backAt = Date.now();
    await own.start();
    await send(100);
    await late;
    expect(connack).toBeGreaterThanOrEqual(backAt);

    expect(acked).toBe(300);
    const mine = a.handler.handled.filter((m) => m.deviceId === d.id).map((m) => m.payload.toString());
    expect(mine).toEqual(Array.from({ length: 300 }, (_, i) => reading(i)));

    // The bus is back by itself: a status published on node A reaches the subscriber on node B again.
    const publisher = await a.connect({ clientId: uniqueId('pub') });
    await eventually(async () => {
      await publisher.publishAsync(statusTopic, 'online', { qos: 1 });
      return got.length > 0;
    }, 'a message across nodes after the restart', WAIT);
    expect(got[0]).toBe(`${statusTopic} online`);

    // The operator reads the outage once (what still works, what waits) and its end once, naming the Redis.
    const said = (re: RegExp) => logs.filter((l) => re.test(String(l.msg)));
    expect(said(/Redis \(REDIS_URL\) unreachable/).map((l) => [l.level, l.redis])).toEqual([[40, own.url]]);
    expect(said(/Redis \(REDIS_URL\) reachable again/).map((l) => [l.level, l.redis])).toEqual([[30, own.url]]);
  }, 120_000);

  it('closes while Redis is down, without waiting for it', async () => {
    const [a, b] = await twoNodes(own.url);
    const d = await a.registry.add(uniqueId('gas'), 'safety', 'gas');
    await a.connectAs(d);
    await own.stop();
    try {
      // Before: QUIT waited for a Redis that was not there (close never settled) and its rejection went unhandled.
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        Promise.all([a.close(), b.close()]).then(() => 'closed'),
        new Promise((resolve) => { timer = setTimeout(() => resolve('still closing after 15 s'), 15_000); }),
      ]);
      clearTimeout(timer);
      expect(outcome).toBe('closed');
    } finally {
      await own.start();
    }
  }, 60_000);
});
