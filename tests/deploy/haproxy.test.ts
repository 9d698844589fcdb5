import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { io } from 'socket.io-client';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';
import { freePort } from '../fixtures/influxd.js';
import { HAPROXY_BIN, SHIPPED_HAPROXY_CFG, renderHaproxyConfig, startHaproxy, type TestHaproxy } from '../fixtures/haproxy.js';

const run = promisify(execFile);
const ADMIN_TOKEN = 'haproxy-test-admin-token-0123456789';

describe('deploy/haproxy.cfg', () => {
  it('passes haproxy -c as shipped', async () => {
    const { stdout, stderr } = await run(HAPROXY_BIN, ['-c', '-f', SHIPPED_HAPROXY_CFG]);
    expect(stdout + stderr).toMatch(/Configuration file is valid/);
    expect(stderr).not.toMatch(/WARNING|ALERT/);
  });

  it('is rendered for test nodes by rewriting only the bind ports and the marked server lists', () => {
    const shipped = readFileSync(SHIPPED_HAPROXY_CFG, 'utf8');
    const rendered = renderHaproxyConfig(shipped, { 1883: 1, 8883: 2, 80: 3, 8404: 4 }, { node1: { mqttPort: 11, mqttsPort: 12, httpPort: 13 } });
    const changed = (line: string) => /^\s*(bind|server) /.test(line);
    expect(rendered.split('\n').filter((l) => !changed(l))).toEqual(shipped.split('\n').filter((l) => !changed(l)));
    expect(rendered).toMatch(/^\s*server node1 127\.0\.0\.1:13 cookie node1$/m);
    expect(rendered).toMatch(/^\s*server node1 127\.0\.0\.1:11 track http_nodes\/node1$/m);
    expect(rendered).not.toMatch(/server node2/);
  });
});

/** Two standalone nodes that know the same devices (as they will through the shared database), behind HAProxy. */
describe('two citysense nodes behind HAProxy', () => {
  const nodes: TestApp[] = [];
  const dirs: string[] = [];
  let lb: TestHaproxy;
  const devices: { id: string; username: string; password: string; topic: string }[] = [];
  const clients: MqttClient[] = [];
  const mqttsPorts: number[] = [];
  let cert: Buffer;

  beforeAll(async () => {
    // Every node serves MQTT over TLS too (the balancer passes it through), with one self-signed certificate.
    const tlsDir = mkdtempSync(join(tmpdir(), 'citysense-tls-'));
    dirs.push(tlsDir);
    const [certFile, keyFile] = [join(tlsDir, 'cert.pem'), join(tlsDir, 'key.pem')];
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile]);
    cert = readFileSync(certFile);
    // One node registers the devices; its citysense.db (with the device-secret key) is then copied to both nodes.
    const seedDir = mkdtempSync(join(tmpdir(), 'citysense-seed-'));
    const seed = await startTestApp('sqlite', {}, seedDir);
    for (let i = 0; i < 24; i++) devices.push(await seed.device('safety', 'gas'));
    await seed.close();
    for (let i = 0; i < 2; i++) {
      const dir = mkdtempSync(join(tmpdir(), `citysense-node${i + 1}-`));
      dirs.push(dir);
      for (const f of ['citysense.db', 'citysense.db-wal']) if (existsSync(join(seedDir, f))) copyFileSync(join(seedDir, f), join(dir, f));
      mqttsPorts.push(await freePort());
      nodes.push(await startTestApp('sqlite', { ADMIN_TOKEN, MQTTS_PORT: String(mqttsPorts[i]), TLS_CERT: certFile, TLS_KEY: keyFile }, dir));
    }
    rmSync(seedDir, { recursive: true, force: true });
    const port = (url: string) => Number(new URL(url).port);
    lb = await startHaproxy(Object.fromEntries(nodes.map((n, i) => [`node${i + 1}`, { mqttPort: port(n.mqttUrl), httpPort: port(n.httpUrl), mqttsPort: mqttsPorts[i]! }])));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await lb?.close();
    for (const n of nodes) await n.close().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const connect = async (url: string, d: (typeof devices)[number], clientId?: string) => {
    const c = await mqtt.connectAsync(url, { username: d.username, password: d.password, reconnectPeriod: 0, connectTimeout: 10_000, ca: cert, ...(clientId ? { clientId } : {}) });
    clients.push(c);
    return c;
  };
  /** Index of the node on which `deviceId` is online (the one its connection reached). */
  const nodeOf = (deviceId: string, among = nodes) => eventually(async () => {
    const online = [];
    for (const [i, n] of among.entries()) if ((await n.api('GET', `/api/devices/${deviceId}`, undefined, ADMIN_TOKEN)).body?.status === 'online') online.push(i);
    return online.length === 1 ? { index: online[0]! } : undefined;
  }, `${deviceId} online on exactly one node`, 15_000).then((r) => r!.index);
  const offline = (deviceId: string) => eventually(async () => {
    for (const n of nodes) if ((await n.api('GET', `/api/devices/${deviceId}`, undefined, ADMIN_TOKEN)).body?.status === 'online') return false;
    return true;
  }, `${deviceId} offline on every node`, 15_000);
  const points = async (n: TestApp, deviceId: string) => (await n.api('GET', `/api/devices/${deviceId}/readings?metric=co&from=-1h`, undefined, ADMIN_TOKEN)).body.points as unknown[];

  it('takes a device\'s QoS 1 readings through the balancer and stores them on the node it reached', async () => {
    const d = devices[0]!;
    const c = await connect(lb.mqttUrl, d);
    await c.publishAsync(d.topic, JSON.stringify({ co: 7, ch4: 1 }), { qos: 1 });
    const reached = await nodeOf(d.id);
    await eventually(async () => (await points(nodes[reached]!, d.id)).length === 1, 'the reading stored on the node reached');
    expect(await points(nodes[1 - reached]!, d.id)).toEqual([]);
    await c.endAsync();
    await offline(d.id);
  });

  it('sends the same client id back to the same node on every reconnect', async () => {
    const d = devices[1]!;
    const clientId = `sticky-${d.id}`;
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await connect(lb.mqttUrl, d, clientId);
      await c.publishAsync(d.topic, JSON.stringify({ co: i, ch4: 1 }), { qos: 1 });
      seen.push(await nodeOf(d.id));
      await c.endAsync();
      await offline(d.id);
    }
    expect(new Set(seen).size).toBe(1);
    await eventually(async () => (await points(nodes[seen[0]!]!, d.id)).length === 4, 'all four readings on that node');
  });

  it('spreads 20 different client ids over both nodes', async () => {
    const spread = [0, 0];
    const group = devices.slice(2, 22);
    const cs = await Promise.all(group.map((d) => connect(lb.mqttUrl, d)));
    for (const d of group) spread[await nodeOf(d.id)]!++;
    expect(spread[0]! + spread[1]!).toBe(20);
    expect(spread[0]).toBeGreaterThan(0);
    expect(spread[1]).toBeGreaterThan(0);
    await Promise.all(cs.map((c) => c.endAsync()));
  });

  it('serves the API, Socket.IO over WebSocket and MQTT over WebSocket at /mqtt', async () => {
    const res = await fetch(`${lb.httpUrl}/api/devices?limit=5`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(5);
    expect((await fetch(`${lb.httpUrl}/readyz`)).status).toBe(200);

    const socket = io(lb.httpUrl, { auth: { token: ADMIN_TOKEN }, transports: ['websocket'], reconnection: false, forceNew: true });
    try {
      await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
      const ack = await socket.timeout(10_000).emitWithAck('subscribe', {});
      expect(ack).toEqual({});
    } finally {
      socket.disconnect();
    }

    const d = devices[22]!;
    const ws = await connect(lb.wsUrl, d);
    await ws.publishAsync(d.topic, JSON.stringify({ co: 3, ch4: 1 }), { qos: 1 });
    const reached = await nodeOf(d.id);
    await eventually(async () => (await points(nodes[reached]!, d.id)).length === 1, 'the WebSocket reading stored on the node reached');
    await ws.endAsync();
    await offline(d.id);
  });

  it('passes MQTT over TLS through to a node, which terminates it', async () => {
    const d = devices[22]!;
    const tls = await connect(`mqtts://127.0.0.1:${lb.mqttsPort}`, d);
    await tls.publishAsync(d.topic, JSON.stringify({ co: 4, ch4: 1 }), { qos: 1 });
    const reached = await nodeOf(d.id);
    await eventually(async () => (await points(nodes[reached]!, d.id)).length >= 1, 'the TLS reading stored on the node reached');
    await tls.endAsync();
  });

  it('keeps Socket.IO\'s long-polling on one node (the balancer\'s cookie)', async () => {
    // Polling is several HTTP requests; round-robin would send the second to the node that never saw the handshake.
    const socket = io(lb.httpUrl, { auth: { token: ADMIN_TOKEN }, transports: ['polling'], withCredentials: true, reconnection: false, forceNew: true });
    try {
      await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
      for (let i = 0; i < 3; i++) expect(await socket.timeout(10_000).emitWithAck('subscribe', {})).toEqual({});
      expect(socket.connected).toBe(true);
    } finally {
      socket.disconnect();
    }
  });

  it('takes a stopped node out of rotation: new devices and the dead node\'s devices reach the other', async () => {
    const d = devices[23]!;
    const clientId = `failover-${d.id}`;
    const first = await connect(lb.mqttUrl, d, clientId);
    const dead = await nodeOf(d.id);
    const alive = 1 - dead;
    const closed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    await nodes[dead]!.close();
    await closed;
    await eventually(async () => (await lb.status('http_nodes', `node${dead + 1}`)).startsWith('DOWN'), 'the stopped node marked DOWN', 30_000);

    // The device whose node died reconnects with the same client id, through the balancer, to the other node.
    const again = await connect(lb.mqttUrl, d, clientId);
    await again.publishAsync(d.topic, JSON.stringify({ co: 9, ch4: 1 }), { qos: 1 });
    expect(await nodeOf(d.id, [nodes[alive]!])).toBe(0);
    await eventually(async () => (await points(nodes[alive]!, d.id)).length === 1, 'its reading stored on the live node');

    // New connections all go to the live node.
    const before = (await lb.servers()).find((s) => s.backend === 'mqtt_nodes' && s.server === `node${alive + 1}`)!.total;
    const fresh = await Promise.all(devices.slice(2, 8).map((x) => connect(lb.mqttUrl, x)));
    const after = (await lb.servers()).find((s) => s.backend === 'mqtt_nodes' && s.server === `node${alive + 1}`)!.total;
    expect(after - before).toBe(6);
    for (const x of devices.slice(2, 8)) expect(await nodeOf(x.id, [nodes[alive]!])).toBe(0);
    await Promise.all([again, ...fresh].map((c) => c.endAsync()));
  }, 90_000);
});
