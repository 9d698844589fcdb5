import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Packet } from 'mqtt-packet';
import { eventually, sleep, startTestBroker, uniqueId, type TestBroker, type TestDevice } from './fixture.js';
import { RawClient } from './raw-client.js';

function publish(topic: string, payload: string, qos: 0 | 1 | 2, messageId: number, dup = false): Packet {
  return { cmd: 'publish', topic, payload: Buffer.from(payload), qos, messageId, dup, retain: false };
}
const pubrel = (messageId: number): Packet => ({ cmd: 'pubrel', messageId });

describe('inbound QoS 2: exactly once to the handler', () => {
  let t: TestBroker;
  const clients: RawClient[] = [];
  const open = async (d: TestDevice, clientId: string, clean = true) => {
    const c = await RawClient.connect(t.port, d, clientId, clean);
    clients.push(c);
    return c;
  };
  const handled = (d: TestDevice) => t.handler.handled.filter((m) => m.deviceId === d.id).map((m) => m.payload.toString());

  beforeAll(async () => {
    t = await startTestBroker();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await t.close();
  });
  beforeEach(() => {
    t.handler.onHandle = (_msg, done) => queueMicrotask(() => done());
  });

  it('acknowledges a copy resent before PUBREL (dup=1) with PUBREC but hands the message over once; after PUBREL the id is free again', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const c = await open(d, `q2-${d.id}`);
    c.send(publish(d.topic, '{"level":70}', 2, 7));
    await c.next('pubrec');
    c.send(publish(d.topic, '{"level":70}', 2, 7, true));
    await c.next('pubrec', 2);
    c.send(pubrel(7));
    await c.next('pubcomp');
    expect(handled(d)).toEqual(['{"level":70}']);

    // Released: the same id now carries a new message.
    c.send(publish(d.topic, '{"level":71}', 2, 7));
    await c.next('pubrec', 3);
    expect(handled(d)).toEqual(['{"level":70}', '{"level":71}']);
  });

  it('holds the PUBREC of a copy that arrives while the first is still with the handler, and hands the message over once', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const c = await open(d, `q2-${d.id}`);
    const held: (() => void)[] = [];
    t.handler.onHandle = (_msg, done) => held.push(() => done());
    c.send(publish(d.topic, '{"level":70}', 2, 7), publish(d.topic, '{"level":70}', 2, 7, true)); // one read
    await eventually(() => held.length > 0, 'the first copy in the handler');
    await sleep(200);
    expect(c.count('pubrec')).toBe(0); // a PUBREC means durable: not before the handler said so
    held[0]();
    await c.next('pubrec', 2);
    c.send(pubrel(7));
    await c.next('pubcomp');
    expect(held).toHaveLength(1);
    expect(handled(d)).toEqual(['{"level":70}']);
  });

  it('reports a refused QoS 2 publish once, however often it is resent', async () => {
    const a = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const b = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const c = await open(a, `q2-${a.id}`);
    c.send(publish(b.topic, '{"level":70}', 2, 9), publish(b.topic, '{"level":70}', 2, 9, true));
    await c.next('pubrec', 2);
    c.send(publish(b.topic, '{"level":70}', 2, 9, true));
    await c.next('pubrec', 3);
    expect(t.handler.refused.filter((r) => r.msg.deviceId === a.id).map((r) => r.reason)).toEqual(['not_authorized']);
  });

  it('keeps an unreleased id across a reconnect to a persistent session, and forgets it for a clean one', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const clientId = `q2-${d.id}`;
    const first = await open(d, clientId, false);
    first.send(publish(d.topic, '{"level":70}', 2, 11));
    await first.next('pubrec');
    await first.close(); // gone before PUBREL: [MQTT-4.4.0-1] the client resends on reconnect

    const resumed = await open(d, clientId, false);
    resumed.send(publish(d.topic, '{"level":70}', 2, 11, true));
    await resumed.next('pubrec');
    expect(handled(d)).toEqual(['{"level":70}']);
    await resumed.close();

    const fresh = await open(d, clientId, true); // a clean session has no unreleased ids
    fresh.send(publish(d.topic, '{"level":72}', 2, 11));
    await fresh.next('pubrec');
    expect(handled(d)).toEqual(['{"level":70}', '{"level":72}']);
  });

  it('does not take a message on a new clean session for a copy of one the closed connection left with the handler', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const clientId = `q2-${d.id}`;
    const held: (() => void)[] = [];
    t.handler.onHandle = (_msg, done) => held.push(() => done());
    const first = await open(d, clientId, true);
    first.send(publish(d.topic, '{"level":70}', 2, 13));
    await eventually(() => held.length > 0, 'the first message in the handler');
    await first.close();

    t.handler.onHandle = (_msg, done) => queueMicrotask(() => done());
    const fresh = await open(d, clientId, true);
    fresh.send(publish(d.topic, '{"level":73}', 2, 13));
    await fresh.next('pubrec');
    expect(handled(d)).toEqual(['{"level":70}', '{"level":73}']);
    held[0]();
  });

  it('hands messages of every QoS over in the order they arrived', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const c = await open(d, `q2-${d.id}`);
    c.send(
      publish(d.topic, '{"level":1}', 2, 1),
      publish(d.topic, '{"level":2}', 1, 2),
      publish(d.topic, '{"level":3}', 0, 0),
      publish(d.topic, '{"level":4}', 2, 3),
      publish(d.topic, '{"level":5}', 2, 1, true),
      publish(d.topic, '{"level":6}', 1, 4),
    );
    await c.next('puback', 2);
    await c.next('pubrec', 3);
    expect(handled(d)).toEqual(['{"level":1}', '{"level":2}', '{"level":3}', '{"level":4}', '{"level":6}']);
  });
});
