import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PacketSizeGuard, PacketTooLargeError } from '../../src/broker/size-guard.js';
import { closed, eventually, metricValue, rawConnack, rawConnect, rawSocket, startTestBroker, uniqueId, type TestBroker } from './fixture.js';

/** The fixed header of a PUBLISH announcing `n` bytes of remaining length. */
function publishHeader(n: number): Buffer {
  const out = [0x30];
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
    const seen: number[] = [];
    const guard = new PacketSizeGuard(inner, 300, (n) => seen.push(n));
    const err = new Promise<Error>((resolve) => guard.once('error', resolve));
    inner.write(Buffer.from([0xc0, 0x00, 0x30]));
    inner.write(publishHeader(1000).subarray(1)); // the length arrives in a later chunk
    const e = await err;
    expect(e).toBeInstanceOf(PacketTooLargeError);
    expect(seen).toEqual([1003]);
    expect(inner.destroyed).toBe(true);
  });
});

describe('broker limits', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker({ maxPacketBytes: 4096, connectTimeoutMs: 500 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('closes a connection whose first packet announces 10 MB, without waiting for the bytes', async () => {
    const before = await metricValue(t.metrics, 'citysense_mqtt_packets_too_large_total');
    const socket = await rawSocket(t.port);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const started = Date.now();
    socket.write(publishHeader(10 * 1024 * 1024));
    await closed;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await metricValue(t.metrics, 'citysense_mqtt_packets_too_large_total')).toBe(before + 1);
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
