import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';

// A backtest reads at most BACKTEST_MAX_READINGS (here 19): past it, a 400 that says what to narrow.
describe('backtest bounds and gaps', () => {
  let t: TestApp;
  const T0 = Date.now() - 3_600_000;
  const S = 1000;
  let gas: string;
  let fridge: string;

  beforeAll(async () => {
    t = await startTestApp('sqlite', { BACKTEST_MAX_READINGS: '19' });
    const g = await t.sensor('safety', 'gas', { district: 'Xixia' });
    gas = g.id;
    for (let i = 0; i < 15; i++) await g.send({ co: i === 5 || i === 6 ? 80 : 3, ch4: 1 }, T0 + i * 30 * S);
    // A fridge (60 s interval) that falls silent for 10 minutes halfway.
    const f = await t.sensor('healthcare', 'cold_chain', { district: 'Xixia' });
    fridge = f.id;
    for (const m of [0, 1, 2, 12, 13]) await f.send({ temp: 4, door_open: false }, T0 + m * 60 * S);
    await eventually(async () => {
      const s = (await t.api('GET', '/api/stats')).body;
      return s.readings.stored >= 20;
    }, 'readings stored', 20_000);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  const co = { name: 'co', match: { type: 'gas' }, metric: 'co', condition: { op: '>', value: 50 }, clear: { op: '<', value: 35 }, severity: 'critical' };

  it('refuses a range that holds more readings than the bound, saying what to narrow', async () => {
    const stale = (await t.api('GET', '/api/rules')).body.items.find((r: { name: string }) => r.name === 'device stale');
    const r = await t.api('POST', '/api/rules/backtest', { ruleId: stale.id, from: new Date(T0 - S).toISOString() });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/more than 19 readings.*narrow from\/to, or match/);
  });

  it('answers once narrowed: the CO episode with its fire and resolve times', async () => {
    const r = await t.api('POST', '/api/rules/backtest', { rule: co, from: new Date(T0 - S).toISOString(), to: 'now' });
    expect(r.status).toBe(200);
    expect(r.body.readings).toBe(15);
    expect(r.body.alerts).toEqual([expect.objectContaining({
      deviceId: gas, district: 'Xixia', value: 80, firedAt: new Date(T0 + 150 * S).toISOString(), resolvedAt: new Date(T0 + 210 * S).toISOString(),
    })]);
  });

  it('a `for` that held until its due time fires there, as the live timer would', async () => {
    const slow = { ...co, for: '45s' };
    const r = await t.api('POST', '/api/rules/backtest', { rule: slow, from: new Date(T0 - S).toISOString(), to: 'now' });
    // Breach at 150 s and 180 s, cleared at 210 s: 45 s after 150 s is 195 s, before the clearing reading.
    expect(r.body.alerts).toEqual([expect.objectContaining({ firedAt: new Date(T0 + 195 * S).toISOString(), resolvedAt: new Date(T0 + 210 * S).toISOString() })]);
  });

  it('no_data fires from a gap in the data and resolves when data comes again; a silence at the end stays open', async () => {
    const stale = (await t.api('GET', '/api/rules')).body.items.find((r: { name: string }) => r.name === 'device stale');
    const r = await t.api('POST', '/api/rules/backtest', { ruleId: stale.id, from: new Date(T0 - S).toISOString(), to: new Date(T0 + 14 * 60 * S).toISOString(), match: { deviceId: fridge } });
    expect(r.status).toBe(200);
    expect(r.body.readings).toBe(5);
    expect(r.body.alerts).toHaveLength(1);
    const a = r.body.alerts[0];
    expect(a.deviceId).toBe(fridge);
    // Silent after its reading at 2 min: 3 intervals (180 s) later it is stale; data again at 12 min resolves it.
    expect(a).toMatchObject({ firedAt: new Date(T0 + 300 * S).toISOString(), resolvedAt: new Date(T0 + 720 * S).toISOString(), value: 180, threshold: 180 });
    const toNow = await t.api('POST', '/api/rules/backtest', { ruleId: stale.id, from: new Date(T0 - S).toISOString(), match: { deviceId: fridge } });
    expect(toNow.body.alerts.map((x: { firedAt: string; resolvedAt: string | null }) => [x.firedAt, x.resolvedAt])).toEqual([
      [a.firedAt, a.resolvedAt], [new Date(T0 + (13 * 60 + 180) * S).toISOString(), null],
    ]);
  });
});
