import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { eventually, startTestApp, uniqueId, type TestApp } from '../fixtures/app.js';
import { startHaproxy, type TestHaproxy } from '../fixtures/haproxy.js';
import { startPrivateInfluxd, type PrivateInfluxd } from '../fixtures/influxd.js';

const ADMIN_TOKEN = 'haproxy-outage-admin-token-0123456789';

/** Both nodes write to one InfluxDB; while it is down every node's /readyz is 503, yet each can still spool. */
describe('HAProxy while the shared store is down on every node', () => {
  let influx: PrivateInfluxd;
  const nodes: TestApp[] = [];
  const dirs: string[] = [];
  let lb: TestHaproxy;
  const devices: { id: string; username: string; password: string; topic: string }[] = [];
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    influx = await startPrivateInfluxd();
    const seedDir = mkdtempSync(join(tmpdir(), 'citysense-seed-'));
    dirs.push(seedDir);
    const seed = await startTestApp('sqlite', {}, seedDir);
    for (let i = 0; i < 3; i++) devices.push(await seed.device('safety', 'gas'));
    await seed.close();
    const bucket = uniqueId('outage').replace(/-/g, '_');
    for (let i = 0; i < 2; i++) {
      const dir = mkdtempSync(join(tmpdir(), `citysense-node${i + 1}-`));
      dirs.push(dir);
      for (const f of ['citysense.db', 'citysense.db-wal']) if (existsSync(join(seedDir, f))) copyFileSync(join(seedDir, f), join(dir, f));
      nodes.push(await startTestApp('sqlite', { ADMIN_TOKEN, INFLUX_URL: influx.url, INFLUX_BUCKET: bucket }, dir));
    }
    const port = (url: string) => Number(new URL(url).port);
    // These nodes serve no TLS: the shipped mqtts list is given their MQTT port, and this test does not use it.
    lb = await startHaproxy(Object.fromEntries(nodes.map((n, i) => [`node${i + 1}`, { mqttPort: port(n.mqttUrl), httpPort: port(n.httpUrl), mqttsPort: port(n.mqttUrl) }])));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await lb?.close();
    for (const n of nodes) await n.close().catch(() => undefined);
    await influx?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const connect = async (url: string, d: (typeof devices)[number]) => {
    const c = mqtt.connect(url, { username: d.username, password: d.password, reconnectPeriod: 0, connectTimeout: 10_000 });
    clients.push(c);
    // A connection the balancer closes before CONNACK is a failure, not a wait.
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
      c.once('close', () => reject(new Error(`${url}: connection closed before CONNACK`)));
    });
    return c;
  };

  it('still takes new devices and API requests, on the nodes that only answer /healthz', async () => {
    await influx.stop();
    // A reading on each node, straight to it: its write to the store fails and its /readyz turns 503.
    for (const [i, n] of nodes.entries()) {
      const c = await connect(n.mqttUrl, devices[i]!);
      await c.publishAsync(devices[i]!.topic, JSON.stringify({ co: 1, ch4: 1 }), { qos: 1 });
      await eventually(async () => (await fetch(`${n.httpUrl}/readyz`)).status === 503, `node${i + 1} unready`, 30_000);
    }
    await eventually(async () => (await lb.status('http_nodes', 'node1')).startsWith('DOWN') && (await lb.status('http_nodes', 'node2')).startsWith('DOWN'), 'both nodes out of rotation', 30_000);

    // A new device through the balancer is acknowledged (its node spools the reading), and the API answers.
    const d = devices[2]!;
    const c = await connect(lb.mqttUrl, d);
    await c.publishAsync(d.topic, JSON.stringify({ co: 2, ch4: 1 }), { qos: 1 });
    const res = await fetch(`${lb.httpUrl}/api/devices/${d.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('online');
  }, 120_000);
});
