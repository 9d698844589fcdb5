// The built-in rules (CONTRACT.md section 4) and the episode rules of 5.2, driven end to end: readings
// published with mqtt.js to the app's broker, alerts watched over Socket.IO and the REST API. `for`
// durations are met in event time (each reading carries its `ts`), so nothing waits for the clock.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseDuration } from '../../src/core/index.js';
import { eventually, startTestApp, type LiveClient, type TestApp } from '../fixtures/app.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

interface Case {
  rule: string;
  domain: string;
  type: string;
  metric: string;
  /** At the fire level, not past it: does not breach. */
  edge: number;
  fire: number;
  /** Between the clear and fire levels. */
  between: number;
  /** At the clear level, not past it: does not clear (for `inside` clears, just outside the range). */
  notClear: number;
  clear: number;
  forMs: number;
  severity: string;
  threshold: unknown;
}

const wearable = { domain: 'healthcare', type: 'wearable' };
const CASES: Case[] = [
  { rule: 'wearable-heart-rate-high', ...wearable, metric: 'heart_rate', edge: 130, fire: 131, between: 125, notClear: 120, clear: 119, forMs: 30 * SECOND, severity: 'critical', threshold: 130 },
  { rule: 'wearable-spo2-low', ...wearable, metric: 'spo2', edge: 90, fire: 89, between: 91, notClear: 92, clear: 93, forMs: 15 * SECOND, severity: 'critical', threshold: 90 },
  { rule: 'wearable-fever', ...wearable, metric: 'body_temp', edge: 39, fire: 39.5, between: 38.7, notClear: 38.5, clear: 38.4, forMs: MINUTE, severity: 'warning', threshold: 39 },
  { rule: 'cold-chain-out-of-range', domain: 'healthcare', type: 'cold_chain', metric: 'temp', edge: 8, fire: 8.1, between: 7.8, notClear: 7.51, clear: 7.5, forMs: 5 * MINUTE, severity: 'warning', threshold: { low: 2, high: 8 } },
  { rule: 'cold-chain-out-of-range', domain: 'healthcare', type: 'cold_chain', metric: 'temp', edge: 2, fire: 1.9, between: 2.2, notClear: 2.49, clear: 2.5, forMs: 5 * MINUTE, severity: 'warning', threshold: { low: 2, high: 8 } },
  { rule: 'traffic-congestion', domain: 'transport', type: 'traffic', metric: 'speed', edge: 10, fire: 9, between: 15, notClear: 20, clear: 21, forMs: 5 * MINUTE, severity: 'info', threshold: 10 },
  { rule: 'carbon-monoxide', domain: 'safety', type: 'gas', metric: 'co', edge: 50, fire: 51, between: 40, notClear: 35, clear: 34, forMs: 0, severity: 'critical', threshold: 50 },
  { rule: 'methane-warning', domain: 'safety', type: 'gas', metric: 'ch4', edge: 10, fire: 11, between: 9, notClear: 8, clear: 7.9, forMs: 0, severity: 'warning', threshold: 10 },
  { rule: 'methane-critical', domain: 'safety', type: 'gas', metric: 'ch4', edge: 20, fire: 21, between: 17, notClear: 15, clear: 14.9, forMs: 0, severity: 'critical', threshold: 20 },
  { rule: 'smoke', domain: 'safety', type: 'smoke', metric: 'obscuration', edge: 10, fire: 11, between: 7, notClear: 5, clear: 4, forMs: 0, severity: 'critical', threshold: 10 },
  { rule: 'flood-warning', domain: 'safety', type: 'flood', metric: 'water_level', edge: 150, fire: 151, between: 145, notClear: 140, clear: 139, forMs: MINUTE, severity: 'warning', threshold: 150 },
  { rule: 'flood-critical', domain: 'safety', type: 'flood', metric: 'water_level', edge: 250, fire: 251, between: 245, notClear: 240, clear: 239, forMs: MINUTE, severity: 'critical', threshold: 250 },
  { rule: 'noise', domain: 'safety', type: 'noise', metric: 'level', edge: 85, fire: 86, between: 82, notClear: 80, clear: 79, forMs: 10 * MINUTE, severity: 'warning', threshold: 85 },
  { rule: 'fine-dust', domain: 'safety', type: 'air', metric: 'pm25', edge: 75, fire: 76, between: 70, notClear: 60, clear: 59, forMs: 10 * MINUTE, severity: 'warning', threshold: 75 },
  { rule: 'structural-vibration', domain: 'safety', type: 'structure', metric: 'vibration', edge: 20, fire: 21, between: 17, notClear: 15, clear: 14, forMs: 0, severity: 'critical', threshold: 20 },
];

const iso = (t: number) => new Date(t).toISOString();

describe('alert rules end to end (broker → ingest → engine → Socket.IO and REST)', () => {
  let t: TestApp;
  let live: LiveClient;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    live = await t.live();
  });
  afterAll(async () => {
    live.close();
    await t.close();
  });

  /** The alert events (not snapshots) this socket received for a device and rule, in order. */
  const pushed = (deviceId: string, ruleId?: string) =>
    live.events.filter((e) => e.event.startsWith('alert:') && e.payload.deviceId === deviceId && (ruleId === undefined || e.payload.ruleId === ruleId));
  /** Every alert the API lists for a device (newest first), optionally for one rule. */
  const listed = async (deviceId: string, ruleId?: string): Promise<any[]> => {
    const r = await t.api('GET', `/api/alerts?deviceId=${encodeURIComponent(deviceId)}&limit=1000`);
    expect(r.status).toBe(200);
    return (r.body.items as any[]).filter((a) => ruleId === undefined || a.ruleId === ruleId);
  };
  /** A round trip on the socket: every event emitted before it has arrived once it resolves. */
  const barrier = async () => {
    await live.subscribe({});
  };

  it('has every built-in rule of section 4, as the contract gives it', async () => {
    const r = await t.api('GET', '/api/rules');
    expect(r.status).toBe(200);
    const rules = new Map((r.body.items as any[]).map((x) => [x.id, x]));
    for (const c of CASES) {
      const rule = rules.get(c.rule);
      expect(rule).toMatchObject({ enabled: true, builtin: true, metric: c.metric, severity: c.severity, match: { domain: c.domain, type: c.type } });
      expect(parseDuration(rule.for)).toBe(c.forMs);
    }
    expect(rules.get('device-stale')).toMatchObject({ enabled: true, builtin: true, condition: { op: 'no_data' }, severity: 'warning' });
  });

  it.each(CASES.map((c) => [`${c.rule} (${c.metric} ${c.fire})`, c] as const))('%s fires past its level after its `for` and clears past its clear level', async (_name, c) => {
    const s = await t.sensor(c.domain, c.type);
    const send = (v: number, ts: number) => s.send({ [c.metric]: v }, ts);
    const F = c.forMs;
    const base = Date.now() - 2 * F - MINUTE;

    // At the fire level exactly: nothing starts. Past it: a for-0 rule fires at once; else it is pending.
    await send(c.edge, base);
    let firedAt: number;
    if (F === 0) {
      firedAt = base + SECOND;
      await send(c.fire, firedAt);
    } else {
      // Had the edge value started a pending `for`, this reading (F after it) would fire it.
      await send(c.fire, base + F);
      await send(c.fire, base + F + F / 2);
      expect(await listed(s.id, c.rule)).toEqual([]);
      firedAt = base + 2 * F;
      await send(c.fire, firedAt);
    }
    const [fired] = await listed(s.id, c.rule);
    expect(fired).toMatchObject({
      ruleId: c.rule, deviceId: s.id, domain: c.domain, type: c.type, metric: c.metric, severity: c.severity, state: 'firing',
      value: c.fire, threshold: c.threshold, firedAt: iso(firedAt), silenced: false,
    });

    // Between the levels and at the clear level: still open. Past the clear level: resolved.
    await send(c.between, firedAt + SECOND);
    await send(c.notClear, firedAt + 2 * SECOND);
    expect((await listed(s.id, c.rule))[0]).toMatchObject({ state: 'firing', lastValue: c.notClear });
    await send(c.clear, firedAt + 3 * SECOND);
    const after = await listed(s.id, c.rule);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: fired.id, state: 'resolved', resolvedAt: iso(firedAt + 3 * SECOND), resolvedBy: 'system', lastValue: c.clear });

    const detail = await t.api('GET', `/api/alerts/${fired.id}`);
    expect(detail.body.transitions.map((x: any) => [x.kind, x.at, x.value, x.actor])).toEqual([
      ['fired', iso(firedAt), c.fire, 'system'],
      ['resolved', iso(firedAt + 3 * SECOND), c.clear, 'system'],
    ]);
    await barrier();
    expect(pushed(s.id, c.rule).map((e) => [e.event, e.payload.id, e.payload.state])).toEqual([
      ['alert:fired', fired.id, 'firing'],
      ['alert:resolved', fired.id, 'resolved'],
    ]);
  });

  it('holds hysteresis: between the levels nothing changes, and a continuing breach raises no second alert', async () => {
    const s = await t.sensor('safety', 'gas');
    const t0 = Date.now() - MINUTE;
    const values = [60, 40, 45, 49, 70, 80, 50, 36, 35];
    for (const [i, co] of values.entries()) await s.send({ co }, t0 + i * SECOND);
    let alerts = await listed(s.id, 'carbon-monoxide');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ state: 'firing', value: 60, firedAt: iso(t0), lastValue: 35 });

    // Past the clear level it resolves; a new breach after that is a new episode.
    await s.send({ co: 34 }, t0 + 20 * SECOND);
    await s.send({ co: 60 }, t0 + 21 * SECOND);
    alerts = await listed(s.id, 'carbon-monoxide');
    expect(alerts.map((a) => [a.state, a.firedAt])).toEqual([
      ['firing', iso(t0 + 21 * SECOND)],
      ['resolved', iso(t0)],
    ]);
    await barrier();
    expect(pushed(s.id).map((e) => [e.event, e.payload.id])).toEqual([
      ['alert:fired', alerts[1].id],
      ['alert:resolved', alerts[1].id],
      ['alert:fired', alerts[0].id],
    ]);
  });

  it('delays firing for `for`, which needs a breach at every reading: a value between the levels starts it again', async () => {
    const s = await t.sensor('healthcare', 'wearable');
    const t0 = Date.now() - 5 * MINUTE;
    await s.send({ heart_rate: 135 }, t0);
    await s.send({ heart_rate: 125 }, t0 + 10 * SECOND); // between 120 and 130: not a breach
    await s.send({ heart_rate: 125 }, t0 + 20 * SECOND);
    await s.send({ heart_rate: 131 }, t0 + 30 * SECOND); // a new pending starts here
    expect(await listed(s.id)).toEqual([]);
    await s.send({ heart_rate: 141 }, t0 + 60 * SECOND);
    const alerts = await listed(s.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ ruleId: 'wearable-heart-rate-high', firedAt: iso(t0 + 60 * SECOND), value: 141 });
  });

  it('cancels a pending `for` when a reading clears during it', async () => {
    const s = await t.sensor('healthcare', 'wearable');
    const t0 = Date.now() - 5 * MINUTE;
    await s.send({ heart_rate: 140 }, t0);
    await s.send({ heart_rate: 119 }, t0 + 10 * SECOND); // the dip
    await s.send({ heart_rate: 140 }, t0 + 20 * SECOND); // a new pending starts here
    await s.send({ heart_rate: 140 }, t0 + 40 * SECOND); // 40 s after the first breach, 20 s after the new one
    expect(await listed(s.id)).toEqual([]);
    await s.send({ heart_rate: 140 }, t0 + 50 * SECOND);
    const alerts = await listed(s.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ ruleId: 'wearable-heart-rate-high', firedAt: iso(t0 + 50 * SECOND) });
    await barrier();
    expect(pushed(s.id).map((e) => e.event)).toEqual(['alert:fired']);
  });

  it('raises exactly one alert for 1,000 breaching readings a millisecond apart, sent as fast as possible', async () => {
    const s = await t.sensor('safety', 'gas');
    const base = Date.now() - 10 * SECOND;
    const N = 1000;
    const co = (i: number) => 60 + (i % 50);
    await Promise.all(
      Array.from({ length: N }, (_, i) => s.client.publishAsync(s.topic, JSON.stringify({ ts: base + i, values: { co: co(i) } }), { qos: 1 })),
    );
    // Every PUBACK is in: all 1,000 are accepted and evaluated.
    const stats = await t.api('GET', '/api/stats');
    expect(stats.body.readings.accepted).toBeGreaterThanOrEqual(N);
    await barrier();
    const fired = pushed(s.id).filter((e) => e.event === 'alert:fired');
    expect(fired).toHaveLength(1);
    const alerts = await listed(s.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ id: fired[0]!.payload.id, ruleId: 'carbon-monoxide', state: 'firing', value: co(0), firedAt: iso(base) });
    // The newest of them is the alert's last value: every one was evaluated, in order.
    await eventually(async () => (await listed(s.id))[0].lastValue === co(N - 1), 'the last value of the 1,000th reading');
    expect((await listed(s.id))[0].lastValueAt).toBe(iso(base + N - 1));
  });
});
