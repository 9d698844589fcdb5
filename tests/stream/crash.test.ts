import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { connect } from 'nats';
import { eventually } from '../fixtures/app.js';
import { startChildApp, type ChildApp } from '../fixtures/child-app.js';
import { startPrivateNats, type PrivateNats } from '../fixtures/nats.js';
import { durableConsumer, type Seen } from './consumer.js';

const adminToken = randomBytes(24).toString('hex');

async function api(app: ChildApp, method: string, path: string, body?: unknown) {
  const res = await fetch(app.httpUrl + path, {
    method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

async function device(app: ChildApp, id: string): Promise<MqttClient> {
  const r = await api(app, 'POST', '/api/devices', { id, domain: 'safety', type: 'gas' });
  if (r.status !== 201) throw new Error(`registration failed: ${JSON.stringify(r.body)}`);
  const c = await mqtt.connectAsync(app.mqttUrl, { username: id, password: r.body.credentials.password, reconnectPeriod: 0 });
  c.on('error', () => undefined);
  return c;
}

/** How many messages the stream holds per subject, for subjects under `filter`. */
async function inStream(url: string, filter: string): Promise<Record<string, number>> {
  const nc = await connect({ servers: url });
  try {
    return (await (await nc.jetstreamManager()).streams.info('CITYSENSE', { subjects_filter: filter })).state.subjects ?? {};
  } finally {
    await nc.close();
  }
}

describe('the event stream through kill -9', () => {
  let nats: PrivateNats;
  let dataDir: string;
  beforeAll(async () => {
    nats = await startPrivateNats();
    dataDir = mkdtempSync(join(tmpdir(), 'citysense-stream-crash-'));
  }, 30_000);
  afterAll(async () => {
    await nats?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('after a kill under load the stream holds every acknowledged reading and transition once, and a consumer gets each', async () => {
    const env = { DATA_DIR: dataDir, ADMIN_TOKEN: adminToken, NATS_URL: nats.url, LOG_LEVEL: 'info' };
    const first = await startChildApp(env);
    // An alert that fires and resolves: two transitions.
    const alarm = await device(first, 'crash-alarm');
    await alarm.publishAsync('city/safety/gas/crash-alarm', JSON.stringify({ co: 80 }), { qos: 1 });
    await alarm.publishAsync('city/safety/gas/crash-alarm', JSON.stringify({ co: 3 }), { qos: 1 });
    await alarm.endAsync(true);
    // Five devices publishing QoS 1 back to back, 10 in flight each.
    const ids = [0, 1, 2, 3, 4].map((i) => `crash-${i}`);
    const base = Date.now() - 3_600_000;
    const acked = new Map<string, number[]>(ids.map((id) => [id, []]));
    const clients = await Promise.all(ids.map((id) => device(first, id)));
    let running = true;
    clients.forEach((c, i) => {
      const id = ids[i]!;
      let seq = 0;
      const pump = () => {
        if (!running || !c.connected) return;
        const s = seq++;
        c.publish(`city/safety/gas/${id}`, JSON.stringify({ ts: base + s, seq: s, values: { co: (s % 30) + 1 } }), { qos: 1 }, (err) => {
          if (!err) acked.get(id)!.push(s);
          pump();
        });
      };
      for (let k = 0; k < 10; k++) pump();
    });
    await eventually(() => [...acked.values()].every((a) => a.length >= 300), 'every device to be acknowledged 300 times', 30_000);
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    running = false;
    clients.forEach((c) => c.end(true));

    const second = await startChildApp(env);
    try {
      const consumer = await durableConsumer(nats.url, 'after-crash', 'citysense.>');
      const seen: Seen[] = [];
      const has = () => new Set(seen.map((m) => m.msgId));
      const wanted = ids.flatMap((id) => acked.get(id)!.map((s) => `reading:${id}:${base + s}:${s}`));
      const end = Date.now() + 60_000;
      while (!wanted.every((w) => has().has(w)) || seen.filter((m) => m.subject.startsWith('citysense.alerts.')).length < 2) {
        if (Date.now() > end) throw new Error(`timed out: ${wanted.filter((w) => !has().has(w)).length} acknowledged readings not on the stream`);
        seen.push(...(await consumer.fetch(1000)));
      }
      await consumer.kill();
      // The stream itself holds each reading and each transition once: what was published again after the kill
      // (the last batch before it) was dropped by its Nats-Msg-Id.
      const readings = await inStream(nats.url, 'citysense.readings.safety.gas.>');
      for (const id of ids) {
        const unique = new Set(seen.filter((m) => m.body.deviceId === id).map((m) => m.msgId)).size;
        expect(readings[`citysense.readings.safety.gas.${id}`]).toBe(unique);
      }
      const alerts = seen.filter((m) => m.subject.startsWith('citysense.alerts.'));
      expect(alerts.map((m) => m.body.transition.kind)).toEqual(['fired', 'resolved']);
      expect((await inStream(nats.url, 'citysense.alerts.>'))['citysense.alerts.safety.critical']).toBe(2);
      await eventually(async () => (await fetch(`${second.httpUrl}/readyz`).then((r) => r.json()) as any).sinks.stream.lag === 0, 'the stream to be current');
    } finally {
      second.proc.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  }, 150_000);
});
