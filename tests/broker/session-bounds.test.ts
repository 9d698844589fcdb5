// Bounds on what one client id can make the broker hold (session-bounds.ts): a persistent session's queue, a live
// subscriber that stops reading, and QoS 2 messages never released. Memory is measured after a forced GC.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Packet } from 'mqtt-packet';
import { heapMb } from '../fixtures/heap.js';
import { eventually, metricValue, sleep, startTestBroker, uniqueId, type TestBroker, type TestDevice } from './fixture.js';
import { RawClient } from './raw-client.js';

const KB200 = Buffer.alloc(200 * 1024, 0x61);
const dropped = (t: TestBroker, reason: string) => metricValue(t.metrics, 'citysense_mqtt_messages_dropped_total', { reason });
const qos2 = (topic: string, messageId: number, payload: Buffer = Buffer.from('{"co":1}'), dup = false): Packet =>
  ({ cmd: 'publish', topic, payload, qos: 2, messageId, dup, retain: false });

describe('session bounds per client id', () => {
  let t: TestBroker;
  const raws: RawClient[] = [];
  const raw = async (d: TestDevice, clientId: string, clean: boolean) => {
    const c = await RawClient.connect(t.port, d, clientId, clean);
    raws.push(c);
    return c;
  };
  beforeAll(async () => {
    t = await startTestBroker();
  });
  afterAll(async () => {
    await Promise.all(raws.map((c) => c.close()));
    await t.close();
  });

  /** A persistent session subscribed to the device's topic at QoS 1, then gone offline. */
  async function offlineSession(d: TestDevice): Promise<string> {
    const clientId = `sub-${d.id}`;
    const sub = await t.connectAs(d, { clientId, clean: false });
    await sub.subscribeAsync(d.topic, { qos: 1 });
    await sub.endAsync();
    return clientId;
  }

  it('queues at most 1000 messages for an offline persistent session, counting the rest as dropped', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const clientId = await offlineSession(d);
    const before = await dropped(t, 'queue_full');
    const pub = await t.connectAs(d, { clientId: `pub-${d.id}` });
    await Promise.all(Array.from({ length: 1050 }, (_, i) => pub.publishAsync(d.topic, `{"co":${i}}`, { qos: 1 })));
    expect(await dropped(t, 'queue_full')).toBe(before + 50);
    const got: string[] = [];
    await t.connectAs(d, { clientId, clean: false }, (c) => c.on('message', (_topic, payload) => got.push(payload.toString())));
    await eventually(() => got.length >= 1000, 'the queued messages', 20_000);
    await sleep(300);
    expect(got.length).toBe(1000);
    expect(got[0]).toBe('{"co":0}'); // the oldest are kept, the newest dropped
  }, 60_000);

  it('holds at most 4 MiB of payload for an offline persistent session: memory stays flat', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const clientId = await offlineSession(d);
    const pub = await t.connectAs(d, { clientId: `pub-${d.id}` });
    const base = heapMb();
    for (let i = 0; i < 150; i += 10) await Promise.all(Array.from({ length: 10 }, () => pub.publishAsync(d.topic, KB200, { qos: 1 })));
    t.handler.handled.length = 0; // the recording handler keeps payloads; the broker is what is measured
    const grown = heapMb() - base;
    expect(grown).toBeLessThan(12); // 150 × 200 KB = 30 MB without the bound
    const got: number[] = [];
    await t.connectAs(d, { clientId, clean: false }, (c) => c.on('message', (_topic, payload) => got.push(payload.length)));
    await eventually(() => got.length >= 20, 'the queued messages', 20_000);
    await sleep(300);
    expect(got.length).toBe(Math.floor((4 * 1024 * 1024) / KB200.length));
  }, 60_000);

  it('drops messages for a live subscriber that stops reading once 1 MiB waits for it, and says so in the count', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const sub = await raw(d, `slow-${d.id}`, true);
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: d.topic, qos: 1 }] });
    await sub.next('suback');
    sub.socket.pause();
    const before = await dropped(t, 'queue_full');
    const pub = await t.connectAs(d, { clientId: `pub-${d.id}` });
    const base = heapMb();
    for (let i = 0; i < 200; i += 10) await Promise.all(Array.from({ length: 10 }, () => pub.publishAsync(d.topic, KB200, { qos: 1 })));
    await sleep(200);
    t.handler.handled.length = 0;
    const grown = heapMb() - base;
    expect(grown).toBeLessThan(12); // 200 × 200 KB = 40 MB without the bound
    expect(await dropped(t, 'queue_full')).toBeGreaterThan(before);
  }, 60_000);

  it('disconnects a connected persistent subscriber that acknowledges nothing once 1000 messages wait for it; its session keeps them', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const clientId = `noack-${d.id}`;
    const sub = await raw(d, clientId, false);
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: d.topic, qos: 1 }] });
    await sub.next('suback');
    const pub = await t.connectAs(d, { clientId: `pub-${d.id}` });
    await Promise.all(Array.from({ length: 1010 }, (_, i) => pub.publishAsync(d.topic, `{"co":${i}}`, { qos: 1 })));
    await sub.closed();
    expect(sub.count('publish')).toBe(20); // the in-flight window (inflight-window.test.ts): the other 980 waited
    const back = await raw(d, clientId, false);
    await back.next('publish', 1000);
    await sleep(300);
    expect(back.count('publish')).toBe(1000);
  }, 60_000);

  it('holds at most 100 unreleased QoS 2 messages per client id across reconnects; a further one closes the connection without PUBREC', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const clientId = `q2-${d.id}`;
    const first = await raw(d, clientId, false);
    for (let id = 1; id <= 100; id++) first.send(qos2(d.topic, id));
    await first.next('pubrec', 100);
    await first.close();

    const before = await dropped(t, 'unreleased_full');
    const second = await raw(d, clientId, false);
    second.send(qos2(d.topic, 101));
    await second.closed();
    expect(second.count('pubrec')).toBe(0);
    expect(await dropped(t, 'unreleased_full')).toBe(before + 1);

    // Released ones free their place.
    const third = await raw(d, clientId, false);
    third.send({ cmd: 'pubrel', messageId: 1 });
    await third.next('pubcomp');
    third.send(qos2(d.topic, 102));
    expect(await third.next('pubrec')).toMatchObject({ messageId: 102 });
  }, 60_000);

  it('keeps unreleased QoS 2 messages without their payload: memory stays flat', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    t.handler.onHandle = (_m, done) => queueMicrotask(() => done());
    const base = heapMb();
    for (const n of [1, 2]) {
      const c = await raw(d, `big-${n}-${d.id}`, false);
      for (let id = 1; id <= 100; id += 10) {
        for (let k = id; k < id + 10; k++) c.send(qos2(d.topic, k, KB200));
        await c.next('pubrec', id + 9);
      }
      await c.close();
    }
    t.handler.handled.length = 0;
    const grown = heapMb() - base;
    expect(grown).toBeLessThan(12); // 2 × 100 × 200 KB = 40 MB without the bound
  }, 60_000);
});

describe('unreleased QoS 2 messages expire', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker({ sessionLimits: { unreleasedTtlMs: 300 } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('forgets a message not released within the lifetime: its id is new again', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const c = await RawClient.connect(t.port, d, `exp-${d.id}`, false);
    try {
      c.send(qos2(d.topic, 5, Buffer.from('{"co":5}')));
      await c.next('pubrec');
      await eventually(async () => (await dropped(t, 'unreleased_expired')) === 1, 'the expiry');
      c.send(qos2(d.topic, 5, Buffer.from('{"co":5}'), true));
      await c.next('pubrec', 2);
      expect(t.handler.handled.filter((m) => m.deviceId === d.id).length).toBe(2);
    } finally {
      await c.close();
    }
  });
});
