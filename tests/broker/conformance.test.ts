import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, rawConnack, rawConnect, startTestBroker, uniqueId, type TestBroker } from './fixture.js';
import { RawClient } from './raw-client.js';

/** A CONNECT whose client id is the given bytes (rawConnect takes strings only). */
function connectWithClientIdBytes(id: Buffer, username: string, password: string): Buffer {
  const placeholder = 'x'.repeat(id.length);
  const packet = rawConnect({ clientId: placeholder, clean: true, keepalive: 30, username, password });
  const at = packet.indexOf(Buffer.from(placeholder));
  id.copy(packet, at);
  return packet;
}

describe('MQTT 3.1.1 conformance', () => {
  let t: TestBroker;
  const open: RawClient[] = [];

  beforeAll(async () => {
    t = await startTestBroker();
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await t.close();
  });

  it('answers each filter of a SUBSCRIBE in order, repeated ones included (MQTT-3.8.4-5)', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const c = await RawClient.connect(t.port, d, `sub-${d.id}`, true);
    open.push(c);
    c.send({
      cmd: 'subscribe', messageId: 5,
      subscriptions: [
        { topic: d.topic, qos: 1 }, { topic: 'a/b', qos: 1 }, { topic: d.statusTopic, qos: 1 }, { topic: 'a/b', qos: 1 }, { topic: 'c', qos: 1 },
      ],
    });
    const suback = await c.next('suback');
    expect(suback).toMatchObject({ messageId: 5, granted: [1, 128, 1, 128, 128] });
    // The subscription stands once: a message on the device's topic arrives once.
    c.send({ cmd: 'subscribe', messageId: 6, subscriptions: [{ topic: d.topic, qos: 0 }, { topic: d.topic, qos: 1 }] });
    expect(await c.next('suback', 2)).toMatchObject({ messageId: 6, granted: [0, 1] });
  });

  it.each([
    ['U+0000', Buffer.from('r\u0000t')],
    ['the bytes 72 ff fe 74', Buffer.from([0x72, 0xff, 0xfe, 0x74])],
  ])('closes a connection whose client id holds %s without CONNACK (MQTT-1.5.3-1/-2)', async (_what, id) => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const { code, socket } = await rawConnack(t.port, connectWithClientIdBytes(id, d.username, d.password));
    socket.destroy();
    expect(code).toBe('closed');
  });

  it('closes a connection whose user name or will topic holds U+0000', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const user = await RawClient.open(t.port);
    open.push(user);
    user.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: `u-${d.id}`, clean: true, keepalive: 30, username: `${d.username}\u0000`, password: Buffer.from(d.password) });
    await user.closed();
    const will = await RawClient.open(t.port);
    open.push(will);
    will.send({
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: `w-${d.id}`, clean: true, keepalive: 30, username: d.username, password: Buffer.from(d.password),
      will: { topic: `${d.statusTopic}\u0000`, payload: Buffer.from('offline'), qos: 1, retain: false },
    });
    await will.closed();
    expect([...user.received, ...will.received].filter((p) => p.cmd === 'connack')).toEqual([]);
  });

  it('closes a connection that publishes to a topic holding U+0000, and dead-letters it naming the device', async () => {
    const d = await t.registry.add(uniqueId('gas'), 'safety', 'gas');
    const c = await RawClient.connect(t.port, d, `nul-${d.id}`, true);
    open.push(c);
    c.send({ cmd: 'publish', topic: `${d.topic}\u0000`, payload: Buffer.from('{"co":1}'), qos: 1, messageId: 3, dup: false, retain: false });
    await c.closed();
    expect(c.count('puback')).toBe(0);
    await eventually(() => t.handler.refused.find((r) => r.msg.deviceId === d.id && /U\+0000/.test(r.detail)), 'the dead letter');
    expect(t.handler.handled.filter((m) => m.deviceId === d.id)).toEqual([]);
  });
});
