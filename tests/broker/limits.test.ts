import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Socket } from 'node:net';
import { PacketSizeGuard, PacketTooLargeError, type OversizePacket } from '../../src/broker/size-guard.js';
import { closed, eventually, metricValue, rawConnack, rawConnect, rawSocket, startTestBroker, uniqueId, type TestBroker } from './fixture.js';

/** The fixed header of a PUBLISH (or, with `first`, another packet) announcing `n` bytes of remaining length. */
function publishHeader(n: number, first = 0x30): Buffer {
  const out = [first];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

describe('packet size guard (stream stage)', () => {
  it('passes packets through unchanged, even when headers are split across chunks', async () => {
    const inner = new PassThrough();
    const guard = new PacketSizeGuard(inner, 300, () => { throw new Error('not too large'); });
    const got: Buffer[] = [];
    guard.on('data', (b: Buffer) => got.push(b));
    // PINGREQ, a 200-byte PUBLISH (2-byte length), a 3-byte PUBACK-like packet: fed one byte at a time.
    const bytes = Buffer.concat([Buffer.from([0xc0, 0x00]), publishHeader(200), Buffer.alloc(200, 7), Buffer.from([0x40, 0x02, 0x00, 0x01])]);
    for (const b of bytes) inner.write(Buffer.from([b]));
    await eventually(() => Buffer.concat(got).length === bytes.length, 'every byte');
    expect(Buffer.concat(got).equals(bytes)).toBe(true);
    guard.destroy();
  });

  it('destroys the stream as soon as a header announces more than the limit', async () => {
    const inner = new PassThrough();
    const seen: OversizePacket[] = [];
    const guard = new PacketSizeGuard(inner, 300, (p) => seen.push(p));
    const err = new Promise<Error>((resolve) => guard.once('error', resolve));
    inner.write(Buffer.from([0xc0, 0x00, 0x30]));
    inner.write(publishHeader(1000).subarray(1)); // the length arrives in a later chunk
    const e = await err;
    expect(e).toBeInstanceOf(PacketTooLargeError);
    expect(seen).toEqual([{ announced: 1003, type: 3, topic: '' }]);
    expect(inner.destroyed).toBe(true);
  });

  it("reports an oversize PUBLISH's topic when it came with the header, and no topic for other packets", async () => {
    const topic = Buffer.from('city/safety/gas/g1');
    const len = Buffer.from([0, topic.length]);
    const cases: [Buffer, OversizePacket][] = [
      [Buffer.concat([publishHeader(1000), len, topic, Buffer.alloc(10)]), { announced: 1003, type: 3, topic: 'city/safety/gas/g1' }],
      [Buffer.concat([publishHeader(1000), len, topic.subarray(0, 5)]), { announced: 1003, type: 3, topic: '' }], // topic cut off
      [Buffer.concat([publishHeader(1000, 0x82), Buffer.from([0, 1]), len, topic]), { announced: 1003, type: 8, topic: '' }], // SUBSCRIBE
    ];
    for (const [bytes, expected] of cases) {
      const inner = new PassThrough();
      const seen: OversizePacket[] = [];
      const guard = new PacketSizeGuard(inner, 300, (p) => seen.push(p));
      const err = new Promise<Error>((resolve) => guard.once('error', resolve));
      inner.write(bytes);
      await err;
      expect(seen).toEqual([expected]);
    }
  });
});

describe('broker limits', () => {
  let t: TestBroker;
  /** A raw TCP connection past CONNACK 0 for the device. */
  const loggedIn = async (username: string, password: string, id: string): Promise<Socket> => {
    const { code, socket } = await rawConnack(t.port, rawConnect({ clientId: `raw-${id}`, clean: true, keepalive: 30, username, password }));
    expect(code).toBe(0);
    return socket;
  };
  beforeAll(async () => {
    t = await startTestBroker({ maxPacketBytes: 4096, connectTimeoutMs: 500 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('closes a connection whose first packet announces 10 MB, without waiting for the bytes', async () => {
    const before = await metricValue(t.metrics, 'citysense_mqtt_packets_too_large_total');
    const refusedBefore = t.handler.refused.length;
    const socket = await rawSocket(t.port);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const started = Date.now();
    socket.write(publishHeader(10 * 1024 * 1024));
    await closed;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await metricValue(t.metrics, 'citysense_mqtt_packets_too_large_total')).toBe(before + 1);
    expect(t.handler.refused).toHaveLength(refusedBefore); // no CONNECT yet: not a publish the broker would take
  });

  it('closes a logged-in connection on an oversize header, and takes packets up to the limit', async () => {
    const d = await t.registry.add(uniqueId('traffic'), 'transport', 'traffic');
    const c = await t.connectAs(d);
    await c.publishAsync(d.topic, Buffer.alloc(3500, 0x20), { qos: 1 }); // under 4 KiB with headers
    expect(t.handler.handled.filter((m) => m.deviceId === d.id)).toHaveLength(1);
    const gone = closed(c);
    c.publish(d.topic, Buffer.alloc(5000, 0x20), { qos: 1 });
    await gone;
    expect(t.handler.handled.filter((m) => m.deviceId === d.id)).toHaveLength(1);
    await eventually(() => !t.broker.isOnline(d.id), 'the device offline');
  });

  it('dead-letters a PUBLISH over the packet limit as too_large, with the device, its topic and why, and closes the connection', async () => {
    const d = await t.registry.add(uniqueId('traffic'), 'transport', 'traffic');
    const before = await metricValue(t.metrics, 'citysense_mqtt_packets_too_large_total');
    const socket = await loggedIn(d.username, d.password, d.id);
    const topic = Buffer.from(d.topic);
    const gone = new Promise((resolve) => socket.once('close', resolve));
    socket.write(Buffer.concat([publishHeader(2 + topic.length + 5000), Buffer.from([0, topic.length]), topic, Buffer.alloc(100, 0x20)]));
    await gone;
    expect(await metricValue(t.metrics, 'citysense_mqtt_packets_too_large_total')).toBe(before + 1);
    const refused = t.handler.refused.filter((r) => r.msg.deviceId === d.id);
    expect(refused.map((r) => [r.reason, r.msg.topic, r.msg.payload.length])).toEqual([['too_large', d.topic, 0]]);
    const announced = 3 + 2 + topic.length + 5000;
    expect(refused[0].detail).toBe(`PUBLISH of ${announced} bytes announced, more than the 4096-byte packet limit: connection closed, payload not read`);
    expect(t.handler.handled.filter((m) => m.deviceId === d.id)).toEqual([]);
  });

  it('dead-letters an oversize PUBLISH whose topic has not arrived yet with an empty topic', async () => {
    const d = await t.registry.add(uniqueId('traffic'), 'transport', 'traffic');
    const socket = await loggedIn(d.username, d.password, d.id);
    const gone = new Promise((resolve) => socket.once('close', resolve));
    socket.write(publishHeader(10 * 1024 * 1024));
    await gone;
    expect(t.handler.refused.filter((r) => r.msg.deviceId === d.id).map((r) => [r.reason, r.msg.topic])).toEqual([['too_large', '']]);
  });

  it('closes and counts an oversize SUBSCRIBE without a dead letter', async () => {
    const d = await t.registry.add(uniqueId('traffic'), 'transport', 'traffic');
    const before = await metricValue(t.metrics, 'citysense_mqtt_packets_too_large_total');
    const socket = await loggedIn(d.username, d.password, d.id);
    const gone = new Promise((resolve) => socket.once('close', resolve));
    socket.write(publishHeader(10_000, 0x82));
    await gone;
    expect(await metricValue(t.metrics, 'citysense_mqtt_packets_too_large_total')).toBe(before + 1);
    expect(t.handler.refused.filter((r) => r.msg.deviceId === d.id)).toEqual([]);
  });

  it('closes a connection that sends no CONNECT within the connect timeout', async () => {
    const socket = await rawSocket(t.port);
    const started = Date.now();
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('closes a connection whose keep-alive runs out (1.5 × keep-alive without a packet) and marks the device offline', async () => {
    const d = await t.registry.add(uniqueId('traffic'), 'transport', 'traffic');
    const { code, socket } = await rawConnack(t.port, rawConnect({ clientId: `ka-${d.id}`, clean: true, keepalive: 1, username: d.username, password: d.password }));
    expect(code).toBe(0);
    expect(t.broker.isOnline(d.id)).toBe(true);
    await new Promise((resolve) => socket.once('close', resolve));
    await eventually(() => t.presence.some((e) => e.deviceId === d.id && e.status === 'offline'), 'offline presence');
    expect(t.broker.isOnline(d.id)).toBe(false);
  });
});
