// Needs the built app (npm run build): it runs as a child process and is killed with SIGKILL.
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { eventually } from '../fixtures/app.js';
import { startChildApp, type ChildApp } from '../fixtures/child-app.js';
import { startReceiver, type Receiver } from './receiver.js';

jest.setTimeout(120_000);

const adminToken = randomBytes(24).toString('hex');
const dataDir = mkdtempSync(join(tmpdir(), 'citysense-outbox-kill-'));
const env = { DATA_DIR: dataDir, ADMIN_TOKEN: adminToken };
const clients: MqttClient[] = [];
const receivers: Receiver[] = [];
let app: ChildApp | undefined;

afterAll(async () => {
  for (const c of clients) c.end(true);
  if (app && app.proc.exitCode === null) {
    app.proc.kill('SIGKILL');
    await app.exited;
  }
  for (const r of receivers) await r.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(app!.httpUrl + path, {
    method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

/** Registers a gas sensor in `district` and publishes one reading (QoS 1, acknowledged). */
async function breach(id: string, district: string, co: number): Promise<void> {
  const r = await api('POST', '/api/devices', { id, domain: 'safety', type: 'gas', district });
  expect(r.status).toBe(201);
  const c = await mqtt.connectAsync(app!.mqttUrl, { username: id, password: r.body.credentials.password, reconnectPeriod: 0 });
  c.on('error', () => undefined);
  clients.push(c);
  await c.publishAsync(`city/safety/gas/${id}`, JSON.stringify({ co }), { qos: 1 });
}

const alertOf = (deviceId: string) =>
  eventually(async () => (await api('GET', `/api/alerts?deviceId=${deviceId}`)).body?.items?.[0], `the alert of ${deviceId}`, 20_000);
const deliveries = async (alertId: number) => (await api('GET', `/api/alerts/${alertId}/notifications`)).body.items as any[];

describe('the outbox across kill -9', () => {
  it('delivers after a restart what waited for its retry, sends nothing confirmed again, and escalates on time', async () => {
    app = await startChildApp(env);
    const main = await receiver();
    const quiet = await receiver();
    const esc = await receiver();
    const cp = async (name: string, r: Receiver) => (await api('POST', '/api/contact-points', { name, kind: 'webhook', url: r.url })).body.id as string;
    const mainCp = await cp('dispatch', main);
    const quietCp = await cp('chat', quiet);
    const escCp = await cp('next on call', esc);
    expect((await api('POST', '/api/notification-policies', { name: 'retries', match: { district: 'Xixia' }, contactPoints: [mainCp] })).status).toBe(201);
    expect((await api('POST', '/api/notification-policies', {
      name: 'escalates', match: { district: 'Jinfeng' }, contactPoints: [quietCp], escalate: { after: '5s', contactPoints: [escCp] },
    })).status).toBe(201);

    // A: delivered and confirmed before the kill.
    await breach('gas-a', 'Xixia', 120);
    const a = await alertOf('gas-a');
    await eventually(async () => (await deliveries(a.id)).at(-1)?.status === 'delivered', 'A delivered');
    const aId = main.ids()[0]!;

    // C is not acknowledged, D is: only C escalates, after the restart.
    await breach('gas-c', 'Jinfeng', 130);
    await breach('gas-d', 'Jinfeng', 140);
    const d = await alertOf('gas-d');
    expect((await api('POST', `/api/alerts/${d.id}/ack`, {})).status).toBe(200);
    const c = await alertOf('gas-c');

    // B: its first try is refused with Retry-After; the app dies while B waits.
    main.script([{ status: 503, headers: { 'retry-after': '4' } }]);
    await breach('gas-b', 'Xixia', 150);
    const b = await alertOf('gas-b');
    await eventually(async () => (await deliveries(b.id))[0]?.attempt === 1, "B's first try recorded");
    expect(esc.received).toEqual([]);
    app.proc.kill('SIGKILL');
    expect(await app.exited).toBe('SIGKILL');

    app = await startChildApp(env);
    await main.waitFor((x) => x.filter((r) => r.answered === 200).length >= 2, 'B delivered after the restart', 30_000);
    const bTries = main.received.filter((r) => r.id !== aId);
    expect(bTries.map((r) => r.answered)).toEqual([503, 200]);
    expect(new Set(bTries.map((r) => r.id)).size).toBe(1);
    expect(bTries[1]!.at - bTries[0]!.at).toBeGreaterThanOrEqual(3900);
    const bView = await eventually(async () => { const x = await deliveries(b.id); return x.at(-1)?.status === 'delivered' ? x : undefined; }, 'B recorded as delivered');
    expect(bView!.map((x) => [x.attempt, x.status])).toEqual([[1, 'pending'], [2, 'delivered']]);

    await esc.waitFor((x) => x.length >= 1, "C's escalation after the restart", 30_000);
    expect(esc.received[0]!.body).toMatchObject({ transition: 'escalated', alert: { id: c.id } });
    await new Promise((r) => setTimeout(r, 2000));
    expect(esc.received.map((r) => r.body.alert.id)).toEqual([c.id]);
    // Nothing confirmed before the kill was sent again.
    expect(main.received.filter((r) => r.id === aId)).toHaveLength(1);
    expect(quiet.received.map((r) => r.body.alert.id).sort()).toEqual([c.id, d.id].sort());
  });
});
