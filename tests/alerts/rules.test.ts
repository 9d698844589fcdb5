import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseDuration } from '../../src/core/index.js';
import { deviceId, reading, sleep, startEngine, until, type EngineHarness } from './fixture.js';

// Per built-in rule: a value at the fire level that must not fire, one that fires, one between the clear and
// fire levels (hysteresis: changes nothing), one at the clear level that must not clear, and one that clears.
const BUILTINS = [
  { rule: 'wearable-heart-rate-high', domain: 'healthcare', type: 'wearable', metric: 'heart_rate', edge: 130, fire: 131, band: 125, noClear: 120, clear: 119, for: '30s', severity: 'critical' },
  { rule: 'wearable-spo2-low', domain: 'healthcare', type: 'wearable', metric: 'spo2', edge: 90, fire: 89, band: 91, noClear: 92, clear: 93, for: '15s', severity: 'critical' },
  { rule: 'wearable-fever', domain: 'healthcare', type: 'wearable', metric: 'body_temp', edge: 39, fire: 39.1, band: 38.8, noClear: 38.5, clear: 38.4, for: '60s', severity: 'warning' },
  { rule: 'cold-chain-out-of-range', domain: 'healthcare', type: 'cold_chain', metric: 'temp', edge: 8, fire: 8.5, band: 7.8, noClear: 2.4, clear: 7.5, for: '5m', severity: 'warning' },
  { rule: 'traffic-congestion', domain: 'transport', type: 'traffic', metric: 'speed', edge: 10, fire: 9, band: 15, noClear: 20, clear: 21, for: '5m', severity: 'info' },
  { rule: 'carbon-monoxide', domain: 'safety', type: 'gas', metric: 'co', edge: 50, fire: 51, band: 40, noClear: 35, clear: 34, for: '0', severity: 'critical' },
  { rule: 'methane-warning', domain: 'safety', type: 'gas', metric: 'ch4', edge: 10, fire: 11, band: 9, noClear: 8, clear: 7.9, for: '0', severity: 'warning' },
  { rule: 'methane-critical', domain: 'safety', type: 'gas', metric: 'ch4', edge: 20, fire: 21, band: 17, noClear: 15, clear: 14.9, for: '0', severity: 'critical' },
  { rule: 'smoke', domain: 'safety', type: 'smoke', metric: 'obscuration', edge: 10, fire: 11, band: 7, noClear: 5, clear: 4.9, for: '0', severity: 'critical' },
  { rule: 'flood-warning', domain: 'safety', type: 'flood', metric: 'water_level', edge: 150, fire: 151, band: 145, noClear: 140, clear: 139, for: '1m', severity: 'warning' },
  { rule: 'flood-critical', domain: 'safety', type: 'flood', metric: 'water_level', edge: 250, fire: 251, band: 245, noClear: 240, clear: 239, for: '1m', severity: 'critical' },
  { rule: 'noise', domain: 'safety', type: 'noise', metric: 'level', edge: 85, fire: 86, band: 82, noClear: 80, clear: 79, for: '10m', severity: 'warning' },
  { rule: 'fine-dust', domain: 'safety', type: 'air', metric: 'pm25', edge: 75, fire: 76, band: 70, noClear: 60, clear: 59, for: '10m', severity: 'warning' },
  { rule: 'structural-vibration', domain: 'safety', type: 'structure', metric: 'vibration', edge: 20, fire: 21, band: 17, noClear: 15, clear: 14, for: '0', severity: 'critical' },
] as const;

const T0 = Date.UTC(2026, 0, 15, 8, 0, 0);

describe('alert rules and the alert lifecycle', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngine();
  });
  afterAll(async () => {
    await h.close();
  });

  const forRule = (ruleId: string, dev: string) => h.pushed.filter((p) => p.alert.ruleId === ruleId && p.alert.deviceId === dev);

  it('creates the built-in rules of CONTRACT section 4 on first start', () => {
    const ids = h.engine.listRules().map((r) => r.id);
    for (const b of BUILTINS) expect(ids).toContain(b.rule);
    expect(ids).toContain('device-stale');
    expect(h.engine.getRule('device-stale')).toMatchObject({ condition: { op: 'no_data' }, severity: 'warning', builtin: true });
  });

  it.each(BUILTINS)('$rule fires and clears at its thresholds (for $for)', (b) => {
    const dev = deviceId(b.type);
    const forMs = parseDuration(b.for);
    const send = (ts: number, v: number) => h.engine.evaluate([reading(dev, b.domain, b.type, ts, { [b.metric]: v })]);
    const mine = () => forRule(b.rule, dev);

    send(T0, b.edge);
    expect(mine()).toEqual([]);
    send(T0 + 1000, b.fire);
    if (forMs > 0) {
      expect(mine()).toEqual([]);
      send(T0 + 1000 + forMs - 1, b.fire);
      expect(mine()).toEqual([]);
      send(T0 + 1000 + forMs, b.fire);
    }
    expect(mine()).toHaveLength(1);
    const fired = mine()[0]!;
    expect(fired.kind).toBe('fired');
    expect(fired.alert).toMatchObject({ state: 'firing', severity: b.severity, deviceId: dev, domain: b.domain, type: b.type, metric: b.metric, value: b.fire, firedAt: T0 + 1000 + forMs, silenced: false });

    const t = T0 + 1000 + forMs;
    send(t + 1000, b.band);
    send(t + 2000, b.noClear);
    send(t + 3000, b.fire);
    expect(mine()).toHaveLength(1);
    expect(h.engine.activeAlerts().find((a) => a.id === fired.alert.id)).toMatchObject({ lastValue: b.fire, lastValueAt: t + 3000 });

    send(t + 4000, b.clear);
    expect(mine().map((p) => p.kind)).toEqual(['fired', 'resolved']);
    expect(mine()[1]!.alert).toMatchObject({ id: fired.alert.id, state: 'resolved', resolvedAt: t + 4000, resolvedBy: 'system', value: b.fire, lastValue: b.clear });
  });

  it('evaluates cold chain below the range too', () => {
    const dev = deviceId('fridge');
    h.engine.evaluate([reading(dev, 'healthcare', 'cold_chain', T0, { temp: 1.5 })]);
    h.engine.evaluate([reading(dev, 'healthcare', 'cold_chain', T0 + 300_000, { temp: 1.8 })]);
    expect(forRule('cold-chain-out-of-range', dev).map((p) => p.alert.value)).toEqual([1.8]);
    h.engine.evaluate([reading(dev, 'healthcare', 'cold_chain', T0 + 301_000, { temp: 2.4 })]);
    expect(forRule('cold-chain-out-of-range', dev)).toHaveLength(1);
    h.engine.evaluate([reading(dev, 'healthcare', 'cold_chain', T0 + 302_000, { temp: 2.5 })]);
    expect(forRule('cold-chain-out-of-range', dev).map((p) => p.kind)).toEqual(['fired', 'resolved']);
  });

  it('fires a `for` only when the condition held at every reading: a value between the levels or a dip to the clear level cancels it', () => {
    const band = deviceId('wear');
    const send = (dev: string, s: number, hr: number) => h.engine.evaluate([reading(dev, 'healthcare', 'wearable', T0 + s * 1000, { heart_rate: hr })]);
    send(band, 0, 135);
    send(band, 10, 125); // between 120 and 130: not a breach, so the `for` starts again with the next one
    send(band, 20, 125);
    send(band, 30, 131);
    expect(forRule('wearable-heart-rate-high', band)).toEqual([]);
    send(band, 59, 131);
    expect(forRule('wearable-heart-rate-high', band)).toEqual([]);
    send(band, 60, 132);
    expect(forRule('wearable-heart-rate-high', band).map((p) => [p.alert.firedAt, p.alert.value])).toEqual([[T0 + 60_000, 132]]);

    const dip = deviceId('wear');
    send(dip, 0, 140);
    send(dip, 10, 100); // clears: the `for` starts again with the next breach
    send(dip, 20, 140);
    send(dip, 30, 140);
    send(dip, 49, 140);
    expect(forRule('wearable-heart-rate-high', dip)).toEqual([]);
    send(dip, 50, 140);
    expect(forRule('wearable-heart-rate-high', dip).map((p) => p.alert.firedAt)).toEqual([T0 + 50_000]);
  });

  it('fires a pending `for` by its timer when no later reading comes, unless a value between the levels cancelled it', async () => {
    const rule = h.engine.createRule({ name: 'ch4 quick', enabled: true, match: { domain: 'safety', type: 'gas' }, metric: 'ch4', condition: { op: '>', value: 20 }, clear: { op: '<', value: 10 }, for: '300ms', severity: 'warning' });
    const timed = deviceId('gas');
    const waiting = deviceId('gas');
    const start = Date.now();
    h.engine.evaluate([reading(timed, 'safety', 'gas', start, { ch4: 25 }), reading(waiting, 'safety', 'gas', start, { ch4: 25 })]);
    h.engine.evaluate([reading(waiting, 'safety', 'gas', start + 100, { ch4: 15 }), reading(timed, 'safety', 'gas', start + 100, { ch4: 27 })]);
    const fired = await until(() => forRule(rule.id, timed)[0], 'the timer to fire');
    // Fired at the `for`'s end, with the newest value, as of the reading that brought it.
    expect(fired.alert).toMatchObject({ firedAt: start + 300, value: 27, lastValue: 27, lastValueAt: start + 100 });
    expect(Date.now() - start).toBeGreaterThanOrEqual(290);
    await sleep(200);
    expect(forRule(rule.id, waiting)).toEqual([]);
    // The breach after it starts a new `for`, which its own timer fires.
    h.engine.evaluate([reading(waiting, 'safety', 'gas', start + 400, { ch4: 26 })]);
    expect(forRule(rule.id, waiting)).toEqual([]);
    const again = await until(() => forRule(rule.id, waiting)[0], 'the new pending to fire');
    expect(again.alert).toMatchObject({ firedAt: start + 700, value: 26 });
    h.engine.deleteRule(rule.id);
  });

  it('keeps pending `for` timers through a rule edit of its name, message or severity, and restarts them when its condition changes', async () => {
    const input = { name: 'ch4 quick', enabled: true, match: { domain: 'safety', type: 'gas' }, metric: 'ch4', condition: { op: '>' as const, value: 20 }, clear: { op: '<' as const, value: 10 }, for: '300ms', severity: 'warning' as const };
    const cosmetic = h.engine.createRule(input);
    const strict = h.engine.createRule({ ...input, name: 'ch4 strict' });
    const dev = deviceId('gas');
    const start = Date.now();
    h.engine.evaluate([reading(dev, 'safety', 'gas', start, { ch4: 25 })]);
    h.engine.updateRule(cosmetic.id, { ...input, name: 'methane high', message: '{deviceId}: methane {value}', severity: 'critical' });
    h.engine.updateRule(strict.id, { ...input, name: 'ch4 strict', condition: { op: '>', value: 22 } });
    const fired = await until(() => forRule(cosmetic.id, dev)[0], 'the kept timer to fire');
    expect(fired.alert).toMatchObject({ ruleName: 'methane high', severity: 'critical', message: `${dev}: methane 25`, firedAt: start + 300 });
    await sleep(200);
    expect(forRule(strict.id, dev)).toEqual([]);
    h.engine.deleteRule(cosmetic.id);
    h.engine.deleteRule(strict.id);
  });

  it('raises exactly one alert for 1,000 breaching readings in one burst, and for readings a millisecond apart', () => {
    const dev = deviceId('gas');
    const burst = Array.from({ length: 1000 }, (_, i) => reading(dev, 'safety', 'gas', T0 + i, { co: 60 + (i % 50) }));
    h.engine.evaluate(burst);
    for (let i = 0; i < 10; i++) h.engine.evaluate(burst.slice(i * 100, i * 100 + 100).map((r) => ({ ...r, ts: r.ts + 1000 })));
    expect(forRule('carbon-monoxide', dev)).toHaveLength(1);
    expect(h.engine.activeAlerts().filter((a) => a.deviceId === dev)).toHaveLength(1);
  });

  it('ignores, for transitions, a reading older than one already evaluated for the device', () => {
    const dev = deviceId('gas');
    h.engine.evaluate([reading(dev, 'safety', 'gas', T0 + 1000, { co: 80 })]);
    h.engine.evaluate([reading(dev, 'safety', 'gas', T0 + 500, { co: 10 })]);
    expect(forRule('carbon-monoxide', dev).map((p) => p.kind)).toEqual(['fired']);
    // One batch out of time order is evaluated in event-time order.
    const other = deviceId('gas');
    h.engine.evaluate([
      reading(other, 'safety', 'gas', T0 + 3, { co: 10 }),
      reading(other, 'safety', 'gas', T0 + 1, { co: 90 }),
      reading(other, 'safety', 'gas', T0 + 2, { co: 95 }),
    ]);
    expect(forRule('carbon-monoxide', other).map((p) => [p.kind, p.alert.value])).toEqual([['fired', 90], ['resolved', 90]]);
    h.engine.evaluate([reading(dev, 'safety', 'gas', T0 + 1500, { co: 10 })]);
    expect(forRule('carbon-monoxide', dev).map((p) => p.kind)).toEqual(['fired', 'resolved']);
  });

  it('takes a reading stamped ahead of its receive time at the receive time, so the readings after it still alert', () => {
    // A device clock 60 s ahead (5 min ahead is accepted): its reading must not blind the device until real time catches up.
    const gas = deviceId('gas');
    h.engine.evaluate([reading(gas, 'safety', 'gas', T0 + 60_000, { co: 0 }, T0)]);
    h.engine.evaluate([reading(gas, 'safety', 'gas', T0 + 1000, { co: 500 })]);
    expect(forRule('carbon-monoxide', gas).map((p) => [p.kind, p.alert.value, p.alert.firedAt])).toEqual([['fired', 500, T0 + 1000]]);

    // `for` is measured, and firedAt given, in that time too: never in the future.
    const wear = deviceId('wear');
    h.engine.evaluate([reading(wear, 'healthcare', 'wearable', T0 + 60_000, { heart_rate: 140 }, T0)]);
    h.engine.evaluate([reading(wear, 'healthcare', 'wearable', T0 + 80_000, { heart_rate: 141 }, T0 + 20_000)]);
    expect(forRule('wearable-heart-rate-high', wear)).toEqual([]);
    h.engine.evaluate([reading(wear, 'healthcare', 'wearable', T0 + 90_000, { heart_rate: 142 }, T0 + 30_000)]);
    expect(forRule('wearable-heart-rate-high', wear).map((p) => [p.alert.value, p.alert.firedAt, p.alert.lastValueAt])).toEqual([[142, T0 + 30_000, T0 + 30_000]]);
  });

  it('records every transition with its time, value and actor, and eventIds strictly increase', () => {
    const dev = deviceId('gas');
    h.engine.evaluate([reading(dev, 'safety', 'gas', T0, { co: 70 })]);
    const id = h.engine.activeAlerts().find((a) => a.deviceId === dev)!.id;
    const acked = h.engine.ack(id, { id: 'user-night-shift', name: 'night shift' }, 'on my way');
    expect(acked).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'night shift' });
    expect(h.engine.ack(id, { id: 'user-someone-else', name: 'someone else' }).acknowledgedBy).toBe('night shift');
    h.engine.evaluate([reading(dev, 'safety', 'gas', T0 + 1000, { co: 20 })]);
    const got = h.engine.getAlert(id)!;
    expect(got.state).toBe('resolved');
    expect(got.transitions.map((t) => [t.kind, t.actor, t.value, t.note])).toEqual([
      ['fired', 'system', 70, undefined],
      ['acknowledged', 'night shift', 70, 'on my way'],
      ['resolved', 'system', 20, undefined],
    ]);
    expect(got.transitions[0]!.at).toBe(T0);
    expect(got.transitions[2]!.at).toBe(T0 + 1000);
    const ids = got.transitions.map((t) => t.eventId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(3);
    expect(got.eventId).toBe(ids[2]);
    expect(() => h.engine.ack(id, { id: 'user-x', name: 'x' })).toThrow(/resolved/);
    expect(() => h.engine.resolve(id, { id: 'user-x', name: 'x' })).toThrow(/resolved/);
    expect(() => h.engine.ack(999_999, { id: 'user-x', name: 'x' })).toThrow(/not found/);
  });

  it('after a manual resolve, a breach that goes on raises no second alert; one after the clear level is a new episode', () => {
    const dev = deviceId('gas');
    const send = (s: number, co: number) => h.engine.evaluate([reading(dev, 'safety', 'gas', T0 + s * 1000, { co })]);
    send(0, 100);
    const first = h.engine.activeAlerts().find((a) => a.deviceId === dev)!;
    expect(h.engine.resolve(first.id, { id: 'user-operator', name: 'operator' }, 'sensor checked')).toMatchObject({ state: 'resolved', resolvedBy: 'operator' });
    send(1, 110);
    send(2, 40); // between the levels: not yet clear
    send(3, 120);
    expect(forRule('carbon-monoxide', dev).map((p) => p.kind)).toEqual(['fired', 'resolved']);
    expect(h.engine.activeAlerts().filter((a) => a.deviceId === dev)).toEqual([]);
    send(4, 30); // the clear level: the episode is over
    send(5, 130);
    const second = h.engine.activeAlerts().find((a) => a.deviceId === dev)!;
    expect(second).toMatchObject({ value: 130, firedAt: T0 + 5000 });
    expect(second.id).not.toBe(first.id);
    expect(forRule('carbon-monoxide', dev).map((p) => p.kind)).toEqual(['fired', 'resolved', 'fired']);
  });

  it('matches rules by device and district, and reads `inside`, `>=` and `<=` conditions', () => {
    const a = deviceId('noise');
    const b = deviceId('noise');
    h.devices.set(a, { domain: 'safety', type: 'noise', district: 'Xixia' });
    h.devices.set(b, { domain: 'safety', type: 'noise', district: 'Jinfeng' });
    const district = h.engine.createRule({ name: 'Xixia quiet hours', enabled: true, match: { district: 'Xixia' }, metric: 'level', condition: { op: '>=', value: 60 }, for: '0', severity: 'info' });
    const device = h.engine.createRule({ name: 'b band', enabled: true, match: { deviceId: b }, metric: 'level', condition: { op: 'inside', low: 40, high: 50 }, for: '0', severity: 'info' });
    const low = h.engine.createRule({ name: 'b floor', enabled: true, match: { type: 'noise' }, metric: 'level', condition: { op: '<=', value: 30 }, clear: { op: '>', value: 35 }, for: '0', severity: 'info' });
    h.engine.evaluate([reading(a, 'safety', 'noise', T0, { level: 60 }), reading(b, 'safety', 'noise', T0, { level: 60 })]);
    expect(forRule(district.id, a)).toHaveLength(1);
    expect(forRule(district.id, b)).toHaveLength(0);
    h.engine.evaluate([reading(b, 'safety', 'noise', T0 + 1, { level: 45 }), reading(a, 'safety', 'noise', T0 + 1, { level: 45 })]);
    expect(forRule(device.id, b)).toHaveLength(1);
    expect(forRule(device.id, a)).toHaveLength(0);
    expect(forRule(district.id, a).map((p) => p.kind)).toEqual(['fired', 'resolved']);
    h.engine.evaluate([reading(b, 'safety', 'noise', T0 + 2, { level: 30 })]);
    expect(forRule(low.id, b)).toHaveLength(1);
    expect(forRule(device.id, b).map((p) => p.kind)).toEqual(['fired', 'resolved']);
    h.engine.evaluate([reading(b, 'safety', 'noise', T0 + 3, { level: 33 })]);
    expect(forRule(low.id, b)).toHaveLength(1);
    // Disabling a rule resolves what it had open.
    const r = h.engine.getRule(low.id)!;
    h.engine.updateRule(low.id, { ...r, enabled: false, for: r.for });
    expect(forRule(low.id, b).map((p) => [p.kind, p.alert.resolvedBy])).toEqual([['fired', null], ['resolved', 'system']]);
    for (const id of [district.id, device.id, low.id]) h.engine.deleteRule(id);
  });

  it('reads a boolean metric as 1 (true) and 0 (false)', () => {
    const rule = h.engine.createRule({ name: 'fridge door open', enabled: true, match: { type: 'cold_chain' }, metric: 'door_open', condition: { op: '>=', value: 1 }, for: '2m', severity: 'warning' });
    const dev = deviceId('fridge');
    h.engine.evaluate([reading(dev, 'healthcare', 'cold_chain', T0, { door_open: true, temp: 5 })]);
    h.engine.evaluate([reading(dev, 'healthcare', 'cold_chain', T0 + 120_000, { door_open: true, temp: 5 })]);
    h.engine.evaluate([reading(dev, 'healthcare', 'cold_chain', T0 + 130_000, { door_open: false, temp: 5 })]);
    expect(forRule(rule.id, dev).map((p) => [p.kind, p.alert.value, p.alert.lastValue])).toEqual([['fired', 1, 1], ['resolved', 1, 0]]);
    h.engine.deleteRule(rule.id);
  });

  it('refuses rules that do not fit the catalog, naming the field', () => {
    const base = { name: 'x', enabled: true, match: { domain: 'healthcare', type: 'wearable' }, metric: 'heart_rate', condition: { op: '>' as const, value: 1 }, for: '0', severity: 'info' as const };
    expect(() => h.engine.createRule({ ...base, metric: 'pulse' })).toThrow(/metric/);
    expect(() => h.engine.createRule({ ...base, match: { type: 'toaster' } })).toThrow(/match.type/);
    expect(() => h.engine.createRule({ ...base, clear: { op: '>', value: 0 } })).toThrow(/clear/);
    expect(() => h.engine.createRule({ ...base, condition: { op: 'no_data' } })).toThrow(/metric/);
  });
});
