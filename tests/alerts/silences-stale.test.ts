import { afterEach, describe, expect, it } from '@jest/globals';
import { deviceId, reading, startEngine, until, type EngineHarness } from './fixture.js';

const T0 = Date.UTC(2026, 0, 15, 8, 0, 0);

describe('silences', () => {
  let h: EngineHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('records matching alerts as silenced, and its expiry announces what is still open and stops applying', async () => {
    h = await startEngine();
    const quiet = deviceId('smoke');
    const loud = deviceId('smoke');
    const now = Date.now();
    const s = h.engine.createSilence({ match: { deviceId: quiet }, from: now - 1000, to: now + 400, reason: 'detector maintenance' }, { id: 'user-ops', name: 'ops' });
    expect(s).toMatchObject({ createdBy: 'ops', reason: 'detector maintenance' });
    h.engine.evaluate([reading(quiet, 'safety', 'smoke', now, { obscuration: 30 }), reading(loud, 'safety', 'smoke', now, { obscuration: 30 })]);
    const [q, l] = [quiet, loud].map((d) => h!.pushed.find((p) => p.alert.deviceId === d)!);
    expect(q).toMatchObject({ kind: 'fired', alert: { silenced: true } });
    expect(l).toMatchObject({ kind: 'fired', alert: { silenced: false } });

    // When the window ends, the still-open alert is announced (unsilenced) by itself, without a sweep.
    const announced = await until(() => h!.pushed.find((p) => p.alert.deviceId === quiet && !p.alert.silenced), 'the silence to end');
    expect(announced).toMatchObject({ kind: 'fired', alert: { id: q.alert.id, state: 'firing' } });
    expect(h.engine.getAlert(q.alert.id)!.transitions.map((t) => t.kind)).toEqual(['fired', 'unsilenced']);

    // A new episode after the window is not silenced.
    h.engine.evaluate([reading(quiet, 'safety', 'smoke', now + 1, { obscuration: 1 })]);
    h.engine.evaluate([reading(quiet, 'safety', 'smoke', now + 2, { obscuration: 40 })]);
    expect(h.pushed.filter((p) => p.alert.deviceId === quiet).map((p) => [p.kind, p.alert.silenced])).toEqual([
      ['fired', true], ['fired', false], ['resolved', false], ['fired', false],
    ]);
  });

  it('matches by rule, domain, type and district, and ending a silence early unmutes', async () => {
    h = await startEngine();
    const dev = deviceId('gas');
    h.devices.set(dev, { domain: 'safety', type: 'gas', district: 'Helan' });
    const t = Date.now();
    const byRule = h.engine.createSilence({ match: { ruleId: 'carbon-monoxide', district: 'Helan' }, from: t - 1, to: t + 3_600_000, reason: 'drill' }, { id: 'user-ops', name: 'ops' });
    expect(() => h!.engine.createSilence({ match: { ruleId: 'nope' }, from: t, to: t + 1000, reason: 'x' }, { id: 'user-ops', name: 'ops' })).toThrow(/ruleId/);
    h.engine.evaluate([reading(dev, 'safety', 'gas', t, { co: 300 })]);
    expect(h.pushed.map((p) => [p.kind, p.alert.silenced])).toEqual([['fired', true]]);
    h.engine.deleteSilence(byRule.id);
    expect(h.pushed.map((p) => [p.kind, p.alert.silenced])).toEqual([['fired', true], ['fired', false]]);
    expect(() => h!.engine.deleteSilence(byRule.id)).toThrow(/not found/);
  });
});

describe('the stale-device sweep', () => {
  let h: EngineHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('fires no_data after 3 intervals of silence, not during the grace period, and resolves when the device talks again', async () => {
    let clock = T0;
    h = await startEngine({ now: () => clock, graceMs: 60_000 });
    const wear = deviceId('wear'); // 10 s interval: stale after 30 s
    const gas = deviceId('gas'); // 30 s interval: stale after 90 s
    const never = deviceId('wear');
    for (const [id, type, domain] of [[wear, 'wearable', 'healthcare'], [gas, 'gas', 'safety'], [never, 'wearable', 'healthcare']] as const) h.devices.set(id, { domain, type });
    h.engine.evaluate([reading(wear, 'healthcare', 'wearable', clock, { heart_rate: 70 }), reading(gas, 'safety', 'gas', clock, { co: 1 })]);
    const stale = () => h!.pushed.filter((p) => p.alert.ruleId === 'device-stale');

    clock = T0 + 45_000; // wearable silent 45 s, but within the start-up grace
    h.engine.sweep();
    expect(stale()).toEqual([]);
    clock = T0 + 61_000;
    h.engine.sweep();
    expect(stale().map((p) => [p.kind, p.alert.deviceId])).toEqual([['fired', wear]]);
    expect(stale()[0]!.alert).toMatchObject({ severity: 'warning', metric: null, value: 61, threshold: 30, firedAt: T0 + 61_000 });
    h.engine.sweep();
    expect(stale()).toHaveLength(1);

    clock = T0 + 91_000;
    h.engine.sweep();
    expect(stale().map((p) => p.alert.deviceId)).toEqual([wear, gas]);

    clock = T0 + 95_000;
    h.engine.evaluate([reading(wear, 'healthcare', 'wearable', clock, { heart_rate: 72 })]);
    expect(stale().map((p) => [p.kind, p.alert.deviceId])).toEqual([['fired', wear], ['fired', gas], ['resolved', wear]]);
    expect(stale()[2]!.alert).toMatchObject({ resolvedAt: T0 + 95_000, resolvedBy: 'system' });
    // A device never seen never goes stale.
    clock = T0 + 3_600_000;
    h.engine.sweep();
    expect(stale().some((p) => p.alert.deviceId === never)).toBe(false);
  });

  it('does not raise a stale alert resolved by hand again while the device stays silent, but does after it talked again', async () => {
    let clock = T0;
    h = await startEngine({ now: () => clock, graceMs: 0 });
    const dev = deviceId('wear'); // 10 s interval: stale after 30 s
    h.devices.set(dev, { domain: 'healthcare', type: 'wearable' });
    h.engine.evaluate([reading(dev, 'healthcare', 'wearable', clock, { heart_rate: 70 })]);
    const stale = () => h!.pushed.filter((p) => p.alert.ruleId === 'device-stale');
    clock = T0 + 31_000;
    h.engine.sweep();
    expect(stale().map((p) => p.kind)).toEqual(['fired']);
    h.engine.resolve(stale()[0]!.alert.id, { id: 'user-operator', name: 'operator' }, 'battery swapped');
    for (const s of [41, 120, 600]) {
      clock = T0 + s * 1000;
      h.engine.sweep();
    }
    expect(stale().map((p) => p.kind)).toEqual(['fired', 'resolved']);

    // Data again ends the episode; silence after it is a new one.
    clock = T0 + 601_000;
    h.engine.evaluate([reading(dev, 'healthcare', 'wearable', clock, { heart_rate: 71 })]);
    clock = T0 + 632_000;
    h.engine.sweep();
    expect(stale().map((p) => [p.kind, p.alert.firedAt])).toEqual([['fired', T0 + 31_000], ['resolved', T0 + 31_000], ['fired', T0 + 632_000]]);
  });

  it('never fires for a deleted device and resolves what it had open', async () => {
    let clock = T0;
    h = await startEngine({ now: () => clock, graceMs: 0 });
    const gone = deviceId('flood');
    const open = deviceId('gas');
    h.devices.set(gone, { domain: 'safety', type: 'flood' });
    h.devices.set(open, { domain: 'safety', type: 'gas' });
    h.engine.evaluate([reading(gone, 'safety', 'flood', clock, { water_level: 10 }), reading(open, 'safety', 'gas', clock, { co: 500 })]);
    h.devices.delete(gone);
    h.devices.delete(open);
    clock = T0 + 10 * 60_000;
    h.engine.sweep();
    expect(h.pushed.map((p) => [p.kind, p.alert.deviceId, p.alert.ruleId])).toEqual([
      ['fired', open, 'carbon-monoxide'],
      ['resolved', open, 'carbon-monoxide'],
    ]);
    expect(h.engine.getAlert(h.pushed[1]!.alert.id)!.transitions[1]).toMatchObject({ actor: 'system', note: 'device deleted' });
  });

  it('forgets a device deleted through deviceDeleted at once: open alerts resolve, holds go, no sweep needed', async () => {
    let clock = T0;
    h = await startEngine({ now: () => clock, graceMs: 0 });
    const dev = deviceId('gas');
    h.devices.set(dev, { domain: 'safety', type: 'gas' });
    h.engine.evaluate([reading(dev, 'safety', 'gas', clock, { co: 80, ch4: 12 })]);
    const fired = h.pushed.filter((p) => p.kind === 'fired').map((p) => p.alert);
    expect(fired.map((a) => a.ruleId).sort()).toEqual(['carbon-monoxide', 'methane-warning']);
    const co = fired.find((a) => a.ruleId === 'carbon-monoxide')!;
    const ch4 = fired.find((a) => a.ruleId === 'methane-warning')!;
    h.engine.resolve(co.id, { id: 'user-operator', name: 'operator' }); // held: co stays high
    clock += 1000;
    h.engine.evaluate([reading(dev, 'safety', 'gas', clock, { co: 80, ch4: 12 })]);
    expect(h.pushed.filter((p) => p.kind === 'fired')).toHaveLength(2);

    h.devices.delete(dev);
    h.engine.deviceDeleted(dev);
    expect(h.engine.getAlert(ch4.id)).toMatchObject({ state: 'resolved', resolvedBy: 'system' });
    expect(h.engine.getAlert(ch4.id)!.transitions.at(-1)).toMatchObject({ kind: 'resolved', actor: 'system', note: 'device deleted' });
    expect(h.engine.activeAlerts().filter((a) => a.deviceId === dev)).toEqual([]);

    // A device registered again under that id starts afresh: the hold went with the old one.
    h.devices.set(dev, { domain: 'safety', type: 'gas' });
    clock += 1000;
    h.engine.evaluate([reading(dev, 'safety', 'gas', clock, { co: 80 })]);
    expect(h.pushed.filter((p) => p.kind === 'fired' && p.alert.ruleId === 'carbon-monoxide').map((p) => p.alert.firedAt)).toEqual([T0, clock]);
  });

  it('gives every device three intervals after a restart before it counts as silent', async () => {
    let clock = T0;
    h = await startEngine({ now: () => clock, graceMs: 0 });
    const dev = deviceId('wear');
    h.devices.set(dev, { domain: 'healthcare', type: 'wearable' });
    h.engine.evaluate([reading(dev, 'healthcare', 'wearable', clock, { spo2: 97 })]);
    await h.close(true);

    clock = T0 + 3_600_000; // down for an hour
    h = await startEngine({ dir: h.dir, devices: h.devices, now: () => clock, graceMs: 0 });
    clock += 20_000;
    h.engine.sweep();
    expect(h.pushed).toEqual([]);
    clock += 11_000;
    h.engine.sweep();
    expect(h.pushed.map((p) => [p.kind, p.alert.ruleId, p.alert.value])).toEqual([['fired', 'device-stale', 3631]]);
  });

  it('runs the sweep on its node-cron schedule', async () => {
    let clock = Date.now();
    h = await startEngine({ now: () => clock, graceMs: 0, sweepSchedule: '* * * * * *' });
    const dev = deviceId('flood');
    h.devices.set(dev, { domain: 'safety', type: 'flood' });
    h.engine.evaluate([reading(dev, 'safety', 'flood', clock, { water_level: 20 })]);
    clock += 181_000; // 60 s interval: silent for more than 3 intervals
    const fired = await until(() => h!.pushed.find((p) => p.alert.ruleId === 'device-stale'), 'the scheduled sweep', 5000);
    expect(fired.alert.deviceId).toBe(dev);
  });
});
