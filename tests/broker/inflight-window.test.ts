// The in-flight window (inflight-window.ts): at most N QoS 1 messages sent to a subscriber and not acknowledged;
// the rest wait in order, not dropped while its queue has room, and go out one by one as its PUBACKs arrive.
// A raw subscriber withholds its PUBACKs.
import { afterAll, describe, expect, it } from '@jest/globals';
import type { IPublishPacket } from 'mqtt-packet';
import { metricValue, sleep, startTestBroker, uniqueId, type TestBroker, type TestDevice } from './fixture.js';
import { RawClient } from './raw-client.js';

const publishes = (c: RawClient) => c.received.filter((p): p is IPublishPacket => p.cmd === 'publish');
const values = (c: RawClient) => publishes(c).map((p) => JSON.parse(String(p.payload)).co as number);

describe('in-flight window per subscriber', () => {
  const brokers: TestBroker[] = [];
  const raws: RawClient[] = [];
  afterAll(async () => {
    await Promise.all(raws.map((c) => c.close()));
    await Promise.all(brokers.map((b) => b.close()));
  });

  async function setUp(opts: Parameters<typeof startTestBroker>[0], clean: boolean) {
    const t = await startTestBroker(opts);
    brokers.push(t);
    const d: TestDevice = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const sub = await RawClient.connect(t.port, d, `sub-${d.id}`, clean);
    raws.push(sub);
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: d.topic, qos: 1 }] });
    await sub.next('suback');
    const pub = await t.connectAs(d, { clientId: `pub-${d.id}` });
    return { t, d, sub, pub };
  }

  async function holdsTheWindow(n: number, opts: Parameters<typeof startTestBroker>[0], clean: boolean) {
    const { t, d, sub, pub } = await setUp(opts, clean);
    const before = await metricValue(t.metrics, 'citysense_mqtt_messages_dropped_total', { reason: 'queue_full' });
    for (let i = 0; i < n + 10; i++) await pub.publishAsync(d.topic, `{"co":${i}}`, { qos: 1 });
    await sub.next('publish', n);
    await sleep(500);
    expect(values(sub)).toEqual(Array.from({ length: n }, (_, i) => i)); // exactly N, the oldest, in order

    const ack = (p: IPublishPacket) => sub.send({ cmd: 'puback', messageId: p.messageId! });
    ack(publishes(sub)[0]!);
    await sub.next('publish', n + 1);
    await sleep(300);
    expect(values(sub)).toEqual(Array.from({ length: n + 1 }, (_, i) => i)); // one ack: the next one, no more

    for (const p of publishes(sub).slice(1, 4)) ack(p);
    await sub.next('publish', n + 4);
    await sleep(300);
    expect(values(sub)).toEqual(Array.from({ length: n + 4 }, (_, i) => i));

    // Acknowledging everything as it comes drains the rest: nothing was lost.
    let acked = 4;
    for (const deadline = Date.now() + 20_000; publishes(sub).length < n + 10 && Date.now() < deadline; await sleep(50)) {
      for (const p of publishes(sub).slice(acked)) ack(p);
      acked = publishes(sub).length;
    }
    await sleep(300);
    expect(values(sub)).toEqual(Array.from({ length: n + 10 }, (_, i) => i));
    expect(await metricValue(t.metrics, 'citysense_mqtt_messages_dropped_total', { reason: 'queue_full' })).toBe(before);
  }

  it('sends a clean-session subscriber at most 20 unacknowledged QoS 1 messages by default, the next as it acks one', async () => {
    await holdsTheWindow(20, {}, true);
  }, 60_000);

  it('takes its size from the session limits, and holds a persistent session to it too', async () => {
    await holdsTheWindow(5, { sessionLimits: { maxInflight: 5 } }, false);
  }, 60_000);

  it('drops what waits past the queue bound, counts it and says so once', async () => {
    const { t, d, sub, pub } = await setUp({ sessionLimits: { maxInflight: 2, maxQueued: 3 } }, true);
    const before = await metricValue(t.metrics, 'citysense_mqtt_messages_dropped_total', { reason: 'queue_full' });
    for (let i = 0; i < 8; i++) await pub.publishAsync(d.topic, `{"co":${i}}`, { qos: 1 });
    await sub.next('publish', 2);
    await sleep(300);
    expect(await metricValue(t.metrics, 'citysense_mqtt_messages_dropped_total', { reason: 'queue_full' })).toBe(before + 3);
    for (const p of publishes(sub)) sub.send({ cmd: 'puback', messageId: p.messageId! });
    await sub.next('publish', 4);
    for (const p of publishes(sub).slice(2)) sub.send({ cmd: 'puback', messageId: p.messageId! });
    await sub.next('publish', 5);
    await sleep(300);
    expect(values(sub)).toEqual([0, 1, 2, 3, 4]); // 2 in flight + 3 waiting; 5, 6, 7 dropped
  }, 60_000);
});
