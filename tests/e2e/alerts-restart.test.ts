// Alerts across a restart, end to end: a `for` pending at shutdown goes on from where it was (it fires
// when it falls due, not `for` after the restart), and open alerts come back with their state.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';

const FOR_MS = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('alerts across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'citysense-alerts-restart-'));
  let t: TestApp | undefined;

  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = (c: MqttClient, topic: string, values: Record<string, number>, ts?: number) =>
    c.publishAsync(topic, JSON.stringify(ts === undefined ? values : { ts, values }), { qos: 1 });
  const metric = async (app: TestApp, name: string) => {
    const text = (await app.api('GET', '/metrics', undefined, null)).body as string;
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };

  it('fires a `for: 5s` rule pending at shutdown on time after the restart, and brings open alerts back as they were', async () => {
    t = await startTestApp('sqlite', {}, dir);
    // Only this test's rule watches ch4 (the built-in methane rules would fire at once on the same reading).
    for (const id of ['methane-warning', 'methane-critical']) expect((await t.api('DELETE', `/api/rules/${id}`)).status).toBe(204);
    const rule = await t.api('POST', '/api/rules', {
      id: 'methane-5s', name: 'methane', match: { domain: 'safety', type: 'gas' }, metric: 'ch4',
      condition: { op: '>', value: 20 }, clear: { op: '<', value: 10 }, for: '5s', severity: 'critical',
    });
    expect(rule.status).toBe(201);
    const pend = await t.device('safety', 'gas');
    const firing = await t.device('safety', 'gas');
    const acked = await t.device('safety', 'gas');
    const [pc, fc, ac] = await Promise.all([t.connect(pend), t.connect(firing), t.connect(acked)]);

    await send(fc, firing.topic, { co: 80 });
    await send(ac, acked.topic, { co: 90 });
    const [ackedAlert] = (await t.api('GET', `/api/alerts?deviceId=${acked.id}`)).body.items;
    const ack = await t.api('POST', `/api/alerts/${ackedAlert.id}/ack`, { note: 'known leak' });
    expect(ack.body).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'ADMIN_TOKEN' });
    const before = (await t.api('GET', '/api/alerts?state=active')).body.items as any[];
    expect(before).toHaveLength(2);
    const lastEventId = Math.max(...before.map((a) => a.eventId));

    const t0 = Date.now();
    await send(pc, pend.topic, { ch4: 30 }, t0);
    expect(await metric(t, 'citysense_alert_pending')).toBe(1);
    await t.close();
    t = undefined;

    // Down for a while, then up again before the `for` falls due.
    await sleep(Math.max(0, t0 + 3000 - Date.now()));
    const restartedAt = Date.now();
    t = await startTestApp('sqlite', {}, dir);
    const app = t;
    expect(restartedAt).toBeLessThan(t0 + FOR_MS);
    const live = await app.live();
    await live.subscribe({ since: lastEventId });

    const fired = await live.waitFor((e) => e.event === 'alert:fired' && e.payload.deviceId === pend.id, 'the pending alert to fire', 15_000);
    // On time: not before it fell due, and well before a `for` started again at the restart would end.
    expect(fired.at).toBeGreaterThanOrEqual(t0 + FOR_MS);
    expect(fired.at).toBeLessThan(restartedAt + FOR_MS);
    expect(fired.payload).toMatchObject({ ruleId: 'methane-5s', state: 'firing', value: 30, firedAt: new Date(t0 + FOR_MS).toISOString() });
    expect(fired.payload.eventId).toBeGreaterThan(lastEventId);
    expect(await metric(app, 'citysense_alert_pending')).toBe(0);

    // The open alerts are back, with their state, in the API and in the snapshot.
    const after = (await app.api('GET', '/api/alerts?state=active')).body.items as any[];
    const byId = new Map(after.map((a) => [a.id, a]));
    for (const a of before) {
      expect(byId.get(a.id)).toMatchObject({ state: a.state, firedAt: a.firedAt, value: a.value, acknowledgedBy: a.acknowledgedBy, acknowledgedAt: a.acknowledgedAt, eventId: a.eventId });
    }
    const snapshot = live.events.find((e) => e.event === 'alerts:snapshot')!;
    const restored = snapshot.payload.filter((a: any) => a.deviceId !== pend.id).map((a: any) => `${a.id}:${a.state}`);
    expect(new Set(restored)).toEqual(new Set(before.map((a) => `${a.id}:${a.state}`)));

    // They go on as before: a continuing breach raises nothing new, the clear level resolves (acknowledged too).
    const [fc2, ac2] = await Promise.all([app.connect(firing), app.connect(acked)]);
    await send(fc2, firing.topic, { co: 85 });
    expect((await app.api('GET', `/api/alerts?deviceId=${firing.id}`)).body.items).toHaveLength(1);
    await send(fc2, firing.topic, { co: 10 });
    await send(ac2, acked.topic, { co: 10 });
    for (const a of before) {
      await live.waitFor((e) => e.event === 'alert:resolved' && e.payload.id === a.id, `alert ${a.id} resolved`);
    }
    await eventually(async () => (await app.api('GET', '/api/alerts?state=active')).body.items.length === 1, 'only the methane alert still open');
    const detail = await app.api('GET', `/api/alerts/${ackedAlert.id}`);
    expect(detail.body.transitions.map((x: any) => x.kind)).toEqual(['fired', 'acknowledged', 'resolved']);
    live.close();
  }, 40_000);
});
