import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mqtt from 'mqtt';
import { WebSocket, WebSocketServer } from 'ws';
import { closed, eventually, metricValue, mosquittoPub, rawSocket, startTestBroker, uniqueId, type TestBroker } from './fixture.js';

describe('MQTT over WebSocket at /mqtt', () => {
  let t: TestBroker;
  let server: Server;
  let other: WebSocketServer;
  let port: number;
  beforeAll(async () => {
    t = await startTestBroker({ maxPacketBytes: 8192 });
    server = createServer((_req, res) => res.end('plain http'));
    t.broker.attachWebSocket(server);
    // Another WebSocket user of the same server (as Socket.IO is in the app) on another path.
    other = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      if (req.url === '/other') other.handleUpgrade(req, socket, head, (ws) => ws.send('hello from /other'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t.close();
    other.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('authenticates and takes a QoS 1 publish over ws://', async () => {
    const d = await t.registry.add(uniqueId('bus'), 'transport', 'bus');
    const ws = await t.connect({ username: d.username, password: d.password }, `ws://127.0.0.1:${port}/mqtt`);
    await ws.publishAsync(d.topic, '{"passengers":12}', { qos: 1 });
    expect(t.handler.handled.filter((m) => m.deviceId === d.id).map((m) => m.payload.toString())).toEqual(['{"passengers":12}']);
    expect(t.broker.isOnline(d.id)).toBe(true);
    await expect(t.connect({ username: d.username, password: 'wrong' }, `ws://127.0.0.1:${port}/mqtt`)).rejects.toMatchObject({ code: 4 });
    await ws.endAsync();
  });

  it('leaves other upgrade paths and plain HTTP to their owners', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/other`);
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (m) => resolve(m.toString()));
      ws.once('error', reject);
    });
    expect(first).toBe('hello from /other');
    ws.close();
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('plain http');
  });

  it('closes a WebSocket connection whose packet header announces more than the limit', async () => {
    const d = await t.registry.add(uniqueId('bus'), 'transport', 'bus');
    const before = await metricValue(t.metrics, 'citysense_mqtt_packets_too_large_total');
    const c = await t.connect({ username: d.username, password: d.password }, `ws://127.0.0.1:${port}/mqtt`);
    const gone = closed(c);
    c.stream.write(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x05])); // PUBLISH announcing 10 MB
    await gone;
    expect(await metricValue(t.metrics, 'citysense_mqtt_packets_too_large_total')).toBe(before + 1);
    await eventually(() => !t.broker.isOnline(d.id), 'the device offline');
  });
});

describe('MQTT over TLS', () => {
  let t: TestBroker;
  let dir: string;
  let cert: Buffer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-tls-'));
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    // A self-signed certificate for 127.0.0.1, made here with the openssl CLI.
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
    ]).catch((err: Error) => {
      throw new Error(`the TLS test needs the openssl CLI (Debian package openssl): ${err.message}`);
    });
    cert = readFileSync(certFile);
    t = await startTestBroker({ mqtts: { port: 0, cert: certFile, key: keyFile } });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('authenticates and takes publishes over mqtts:// from mqtt.js and mosquitto_pub', async () => {
    expect(t.mqttsPort).toBeGreaterThan(0);
    const d = await t.registry.add(uniqueId('amb'), 'healthcare', 'ambulance');
    const c = await t.connect({ username: d.username, password: d.password, ca: cert }, `mqtts://127.0.0.1:${t.mqttsPort}`);
    await c.publishAsync(d.topic, '{"speed":80}', { qos: 1 });
    await c.endAsync();
    const r = await mosquittoPub(['-h', '127.0.0.1', '-p', String(t.mqttsPort), '--cafile', join(dir, 'cert.pem'), '-V', 'mqttv311',
      '-u', d.username, '-P', d.password, '-i', `mp-tls-${d.id}`, '-q', '1', '-t', d.topic, '-m', '{"speed":81}']);
    expect(r).toEqual({ code: 0, stderr: '' });
    expect(t.handler.handled.filter((m) => m.deviceId === d.id).map((m) => m.payload.toString())).toEqual(['{"speed":80}', '{"speed":81}']);
  });

  it('refuses a plain MQTT client on the TLS port', async () => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${t.mqttsPort}`, { reconnectPeriod: 0, connectTimeout: 2000 });
    const outcome = await new Promise<string>((resolve) => {
      c.once('connect', () => resolve('connected'));
      c.once('close', () => resolve('closed'));
      c.once('error', () => resolve('error'));
    });
    expect(outcome).not.toBe('connected');
    await c.endAsync(true);
  });

  it('close() ends connections still in a TLS handshake or before CONNECT, promptly', async () => {
    const handshaking = await rawSocket(t.mqttsPort!); // sends no ClientHello
    const silent = await rawSocket(t.port); // sends no CONNECT
    const gone = Promise.all([handshaking, silent].map((s) => new Promise((resolve) => s.once('close', resolve))));
    const started = Date.now();
    await t.close();
    await gone;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(t.broker.ready()).toBe(false);
  });
});
