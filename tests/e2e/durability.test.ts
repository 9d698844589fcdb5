import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { rssMb, startChildApp, type ChildApp } from '../fixtures/child-app.js';
import { startPrivateInfluxd, type PrivateInfluxd } from '../fixtures/influxd.js';
import { eventually } from '../fixtures/app.js';

const DEVICES = 20;
const adminToken = randomBytes(24).toString('hex');

async function api(app: ChildApp, method: string, path: string, body?: unknown) {
  const res = await fetch(app.httpUrl + path, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

interface Fleet {
  clients: MqttClient[];
  ids: string[];
  /** Per device, the timestamps whose PUBACK arrived. */
  acked: Map<string, number[]>;
  stop(): void;
}

/** Registers DEVICES gas sensors; each publishes QoS 1 back to back (20 in flight), or at `ratePerDevice` a second. */
async function runFleet(app: ChildApp, prefix: string, base: number, ratePerDevice?: number): Promise<Fleet> {
  const ids: string[] = [];
  const clients: MqttClient[] = [];
  const acked = new Map<string, number[]>();
  const connected: Promise<unknown>[] = [];
  let running = true;
  for (let i = 0; i < DEVICES; i++) {
    const id = `${prefix}-${i}`;
    const r = await api(app, 'POST', '/api/devices', { id, domain: 'safety', type: 'gas' });
    if (r.status !== 201) throw new Error(`registration failed: ${JSON.stringify(r.body)}`);
    const c = mqtt.connect(app.mqttUrl, { username: id, password: r.body.credentials.password, reconnectPeriod: 0, clientId: `c-${id}` });
    c.on('error', () => undefined);
    connected.push(new Promise((resolve) => c.once('connect', resolve)));
    ids.push(id);
    clients.push(c);
    acked.set(id, []);
  }
  await Promise.all(connected);
  const timers: NodeJS.Timeout[] = [];
  clients.forEach((c, i) => {
    const id = ids[i]!;
    let seq = 0;
    const send = (then?: () => void) => {
      if (!running || !c.connected) return;
      const ts = base + seq; // one reading per millisecond of event time, so each is distinct
      const payload = JSON.stringify({ ts, seq: seq++, values: { co: (seq % 40) + 1 } });
      c.publish(`city/safety/gas/${id}`, payload, { qos: 1 }, (err) => {
        if (!err) acked.get(id)!.push(ts);
        then?.();
      });
    };
    if (ratePerDevice) {
      // A steady rate: ratePerDevice/20 messages every 50 ms.
      timers.push(setInterval(() => { for (let k = 0; k < ratePerDevice / 20; k++) send(); }, 50));
    } else {
      const pump = () => send(pump);
      for (let k = 0; k < 20; k++) pump();
    }
  });
  return { clients, ids, acked, stop: () => { running = false; timers.forEach(clearInterval); clients.forEach((c) => c.end(true)); } };
}

async function storedTimestamps(app: ChildApp, id: string, from: number): Promise<Set<number>> {
  const r = await api(app, 'GET', `/api/devices/${id}/readings?metric=co&from=${new Date(from).toISOString()}&to=now&limit=10000`);
  if (r.status !== 200) throw new Error(`history failed: ${JSON.stringify(r.body)}`);
  return new Set(r.body.points.map((p: { t: string }) => Date.parse(p.t)));
}

describe('durability', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'citysense-durability-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged reading through kill -9 and a restart', async () => {
    const env = { DATA_DIR: dataDir, ADMIN_TOKEN: adminToken, LOG_LEVEL: 'info' };
    const first = await startChildApp(env);
    const base = Date.now() - 3_600_000;
    const fleet = await runFleet(first, 'kill', base);
    await eventually(() => [...fleet.acked.values()].every((a) => a.length >= 50), 'every device to be acknowledged 50 times', 15_000);
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    fleet.stop();
    const acked = [...fleet.acked.values()].reduce((n, a) => n + a.length, 0);
    expect(acked).toBeGreaterThanOrEqual(DEVICES * 50);

    const second = await startChildApp(env);
    try {
      for (const id of fleet.ids) {
        const want = fleet.acked.get(id)!;
        await eventually(async () => {
          const got = await storedTimestamps(second, id, base);
          return want.every((ts) => got.has(ts));
        }, `every acknowledged reading of ${id} to be stored`, 20_000);
      }
    } finally {
      second.proc.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  }, 90_000);

  describe('with InfluxDB', () => {
    let influx: PrivateInfluxd;
    beforeAll(async () => {
      influx = await startPrivateInfluxd();
    });
    afterAll(async () => {
      await influx.close();
    });

    it('keeps every acknowledged reading while InfluxDB is down for 15 s, with memory bounded', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'citysense-outage-'));
      const app = await startChildApp({ DATA_DIR: dir, ADMIN_TOKEN: adminToken, INFLUX_URL: influx.url, INFLUX_BUCKET: 'outage' });
      try {
        const base = Date.now() - 3_600_000;
        const fleet = await runFleet(app, 'outage', base, 100);
        await new Promise((r) => setTimeout(r, 2000));
        const rss: number[] = [];
        const sample = setInterval(() => rss.push(rssMb(app.proc.pid!, (p) => readFileSync(p, 'utf8'))), 500);
        await influx.stop();
        const ackedAtStop = [...fleet.acked.values()].reduce((n, a) => n + a.length, 0);
        await new Promise((r) => setTimeout(r, 15_000));
        const ackedDuringOutage = [...fleet.acked.values()].reduce((n, a) => n + a.length, 0) - ackedAtStop;
        const stats = await api(app, 'GET', '/api/stats');
        await influx.start();
        await new Promise((r) => setTimeout(r, 1000));
        fleet.stop();
        clearInterval(sample);
        // Publishing went on during the outage, into the spool.
        expect(ackedDuringOutage).toBeGreaterThan(1000);
        expect(stats.body.spool.backlog).toBeGreaterThan(0);
        // Memory: the backlog sits on disk, not in the heap.
        const growth = Math.max(...rss) - rss[0]!;
        expect(growth).toBeLessThan(150);
        for (const id of fleet.ids) {
          const want = fleet.acked.get(id)!;
          await eventually(async () => {
            const got = await storedTimestamps(app, id, base);
            return want.every((ts) => got.has(ts));
          }, `every acknowledged reading of ${id} in InfluxDB`, 60_000);
        }
      } finally {
        app.proc.kill('SIGTERM');
        await app.exited;
        rmSync(dir, { recursive: true, force: true });
      }
    }, 150_000);
  });
});
