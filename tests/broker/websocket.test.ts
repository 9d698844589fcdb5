import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mqttPacket from 'mqtt-packet';
import { WebSocket } from 'ws';
import { eventually, sleep, startTestBroker, uniqueId, type TestBroker, type TestDevice } from './fixture.js';

/** A raw WebSocket to /mqtt that records each message it receives, as it came (one entry per WebSocket message). */
async function openWs(url: string, protocols?: string | string[]): Promise<{ ws: WebSocket; messages: Buffer[]; closeCode: Promise<number> }> {
  const ws = new WebSocket(url, protocols);
  const messages: Buffer[] = [];
  ws.on('message', (m: Buffer) => messages.push(m));
  const closeCode = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, messages, closeCode };
}

/** Why an upgrade was refused: the HTTP status and body. */
function refusedUpgrade(url: string, protocols?: string | string[]): Promise<{ status: number; body: string } | 'opened'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols);
    ws.once('open', () => {
      ws.terminate();
      resolve('opened');
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', () => undefined);
  });
}

const connectPacket = (d: TestDevice) => mqttPacket.generate({
  cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: `ws-${d.id}`, clean: true, keepalive: 60, username: d.username, password: Buffer.from(d.password),
});

describe('MQTT over WebSocket conformance (MQTT 3.1.1 section 6)', () => {
  let t: TestBroker;
  let server: Server;
  let url: string;
  const open: WebSocket[] = [];
  beforeAll(async () => {
    t = await startTestBroker();
    server = createServer((_req, res) => res.end('plain http'));
    t.broker.attachWebSocket(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/mqtt`;
  });
  afterAll(async () => {
    for (const ws of open) ws.terminate();
    await t.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses an upgrade that does not offer the mqtt subprotocol (MQTT-6.0.0-4), and answers mqtt when it is offered', async () => {
    for (const protocols of ['chat', undefined]) {
      const r = await refusedUpgrade(url, protocols);
      expect(r).toMatchObject({ status: 400 });
      expect(r !== 'opened' && r.body).toMatch(/subprotocol mqtt/);
    }
    const c = await openWs(url, ['chat', 'mqtt']);
    open.push(c.ws);
    expect(c.ws.protocol).toBe('mqtt');
  });

  it('sends each MQTT packet in one WebSocket message: CONNACK and PUBACK arrive whole', async () => {
    const d = await t.registry.add(uniqueId('bus'), 'transport', 'bus');
    const c = await openWs(url, 'mqtt');
    open.push(c.ws);
    c.ws.send(connectPacket(d));
    await eventually(() => c.messages.length > 0, 'the CONNACK');
    await sleep(100); // any further pieces of it would be here by now
    expect(c.messages.map((m) => [...m])).toEqual([[0x20, 2, 0, 0]]);
    c.ws.send(mqttPacket.generate({ cmd: 'publish', topic: d.topic, payload: Buffer.from('{"passengers":3}'), qos: 1, messageId: 9, dup: false, retain: false }));
    await eventually(() => c.messages.length > 1, 'the PUBACK');
    await sleep(100);
    expect(c.messages.slice(1).map((m) => [...m])).toEqual([[0x40, 2, 0, 9]]);
  });

  it('closes the connection on a text frame (MQTT-6.0.0-1) without taking what it holds', async () => {
    const d = await t.registry.add(uniqueId('bus'), 'transport', 'bus');
    const c = await openWs(url, 'mqtt');
    open.push(c.ws);
    c.ws.send(connectPacket(d));
    await eventually(() => c.messages.length > 0, 'the CONNACK');
    // A QoS 0 PUBLISH whose bytes are all ASCII, so it can travel as text.
    const publish = mqttPacket.generate({ cmd: 'publish', topic: d.topic, payload: Buffer.from('{"passengers":4}'), qos: 0, dup: false, retain: false });
    expect([...publish].every((b) => b < 0x80)).toBe(true);
    c.ws.send(publish.toString('latin1'));
    expect(await c.closeCode).toBe(1003);
    await sleep(100);
    expect(t.handler.handled.filter((m) => m.deviceId === d.id)).toEqual([]);
  });
});
