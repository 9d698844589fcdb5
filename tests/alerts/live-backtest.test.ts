import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backtestReadings, type Alert } from '../../src/alerts/index.js';
import type { Reading } from '../../src/core/index.js';
import { catalog, deviceId, reading, startEngine, type EngineHarness } from './fixture.js';

// The live engine and the backtest on the same readings give the same alerts (docs/contract.md section 10), also
// when a `for` falls due between two readings and the engine's timer has not run when the later one is evaluated.
// The timer is wall-clock, set when the first breaching reading was evaluated (its event time + its ingest delay +
// `for`), so under load the next reading of the device, evaluated promptly, can come before it: the live engine then
// fired at that reading's time (26 ms after the due time in the run that showed it), or, with a value that does not
// breach, cancelled the `for` and raised nothing, where the backtest fires at the due time in event time.
// Here the readings are hours old and evaluated back to back, so the timer (15 s of wall clock away) never runs first.

const T0 = Date.UTC(2026, 0, 15, 8, 0, 0);
const RULE = 'wearable-spo2-low'; // spo2 < 90 for 15 s, clears > 92

type Episode = Pick<Alert, 'firedAt' | 'resolvedAt' | 'value' | 'lastValue'>;
const episode = (a: Episode): Episode => ({ firedAt: a.firedAt, resolvedAt: a.resolvedAt, value: a.value, lastValue: a.lastValue });

describe('a `for` that falls due between two readings, live and in the backtest', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngine();
  });
  afterAll(async () => {
    await h.close();
  });

  /** Feeds the readings to the live engine one batch each (as ingest turns do) and answers its episodes, oldest first. */
  function live(dev: string, readings: Reading[]): Episode[] {
    for (const r of readings) h.engine.evaluate([r]);
    const mine = h.pushed.filter((p) => p.alert.ruleId === RULE && p.alert.deviceId === dev);
    return mine.filter((p) => p.kind === 'fired').map((f) => {
      const resolved = mine.find((p) => p.kind === 'resolved' && p.alert.id === f.alert.id);
      return episode(resolved?.alert ?? h.engine.activeAlerts().find((a) => a.id === f.alert.id)!);
    });
  }

  function backtest(dev: string, readings: Reading[]): Episode[] {
    const device = { deviceId: dev, domain: 'healthcare', type: 'wearable', district: null };
    return backtestReadings(catalog, h.engine.getRule(RULE)!, device, readings, T0 + 3_600_000).map(episode);
  }

  /** The crush of the backtest-live run: both metrics in one message, spo2 low from the first, the next reading 15.026 s on. */
  const run = (dev: string, next: number): Reading[] => [
    reading(dev, 'healthcare', 'wearable', T0, { heart_rate: 145, spo2: 86 }),
    reading(dev, 'healthcare', 'wearable', T0 + 15_026, { heart_rate: 146, spo2: next }),
  ];

  it.each([
    ['still breaching: fired at the due time, not at the later reading', 87, { firedAt: T0 + 15_000, resolvedAt: null, value: 86, lastValue: 87 }],
    ['between the levels: fired at the due time, still open', 91, { firedAt: T0 + 15_000, resolvedAt: null, value: 86, lastValue: 91 }],
    ['at the clear level: fired at the due time, resolved by that reading', 95, { firedAt: T0 + 15_000, resolvedAt: T0 + 15_026, value: 86, lastValue: 95 }],
  ])('the next reading %s', (_what, next, expected) => {
    const dev = deviceId('wear');
    const readings = run(dev, next);
    const fromBacktest = backtest(dev, readings);
    expect(fromBacktest).toEqual([expected]);
    expect(live(dev, readings)).toEqual(fromBacktest);
  });

  it('a reading exactly at the due time still fires with its own value, live and in the backtest', () => {
    const dev = deviceId('wear');
    const readings = [reading(dev, 'healthcare', 'wearable', T0, { spo2: 86 }), reading(dev, 'healthcare', 'wearable', T0 + 15_000, { spo2: 85 })];
    const fromBacktest = backtest(dev, readings);
    expect(fromBacktest).toEqual([{ firedAt: T0 + 15_000, resolvedAt: null, value: 85, lastValue: 85 }]);
    expect(live(dev, readings)).toEqual(fromBacktest);
  });
});
