import { describe, expect, it } from '@jest/globals';
import { BUILTIN_CATALOG, Catalog } from '../../src/core/index.js';
import { BUILTIN_SCENARIOS, createGenerator, createPrng, loadScenario, parseScenario, planFleet, type Scenario } from '../../src/simulator/index.js';

// The documented alerts, checked against the generated data with the contract's rule thresholds
// (CONTRACT section 4), without the alert engine: does the condition hold for `for` on the devices named?
const catalog = new Catalog(BUILTIN_CATALOG);
const fleet = planFleet(catalog, { devices: 120 }, createPrng('alerts').fork('fleet'));
const countOf = (type: string) => fleet.filter((d) => d.type === type).length;

interface Rule { type: string; metric: string; above?: number; below?: number; forMs: number }
const RULES: Record<string, Rule> = {
  'traffic congestion': { type: 'traffic', metric: 'speed', below: 10, forMs: 300_000 },
  noise: { type: 'noise', metric: 'level', above: 85, forMs: 600_000 },
  'cold chain out of range': { type: 'cold_chain', metric: 'temp', above: 8, forMs: 300_000 },
  'wearable fever': { type: 'wearable', metric: 'body_temp', above: 39, forMs: 60_000 },
  'fine dust': { type: 'air', metric: 'pm25', above: 75, forMs: 600_000 },
  smoke: { type: 'smoke', metric: 'obscuration', above: 10, forMs: 0 },
  'flood warning': { type: 'flood', metric: 'water_level', above: 150, forMs: 60_000 },
  'flood critical': { type: 'flood', metric: 'water_level', above: 250, forMs: 60_000 },
  'carbon monoxide': { type: 'gas', metric: 'co', above: 50, forMs: 0 },
  'methane warning': { type: 'gas', metric: 'ch4', above: 10, forMs: 0 },
  'methane critical': { type: 'gas', metric: 'ch4', above: 20, forMs: 0 },
  'wearable spo2 low': { type: 'wearable', metric: 'spo2', below: 90, forMs: 15_000 },
  'wearable heart_rate high': { type: 'wearable', metric: 'heart_rate', above: 130, forMs: 30_000 },
};

/** Devices on which each rule would fire during `spanMs` of the scenario, each device reporting every `stepMs`. */
function firing(name: string | Scenario, spanMs: number, stepMs = 10_000) {
  const scenario = typeof name === 'string' ? loadScenario(name, BUILTIN_SCENARIOS) : name;
  const gen = createGenerator({ catalog, fleet, scenario, seed: 'alerts', qos: 1 });
  const since = new Map<string, number>();
  const fired = new Map<string, Map<string, number>>(); // rule → device → first firing time
  for (let t = 0; t < spanMs; t += stepMs) {
    fleet.forEach((d, i) => {
      const m = gen.next(i, t);
      if (m.silent || m.fault) return;
      const values = JSON.parse(m.encode(0)).values;
      for (const [rule, r] of Object.entries(RULES)) {
        if (r.type !== d.type) continue;
        const v = values[r.metric];
        const key = `${rule}/${d.id}`;
        const holds = (r.above !== undefined && v > r.above) || (r.below !== undefined && v < r.below);
        if (!holds) { since.delete(key); continue; }
        if (!since.has(key)) since.set(key, t);
        if (t - since.get(key)! >= r.forMs) {
          const byDevice = fired.get(rule) ?? new Map<string, number>();
          if (!byDevice.has(d.id)) byDevice.set(d.id, t);
          fired.set(rule, byDevice);
        }
      }
    });
  }
  return (rule: string) => fired.get(rule) ?? new Map<string, number>();
}

describe('built-in scenarios raise the alerts they document', () => {
  it('normal: none, all day long', () => {
    const f = firing(parseScenario({ ...BUILTIN_SCENARIOS.get('normal')!, clock: '00:00' }), 86_400_000, 30_000);
    for (const rule of Object.keys(RULES)) expect([rule, f(rule).size]).toEqual([rule, 0]);
  });

  it('rush-hour: congestion on a quarter of the traffic loops, noise on a third of the meters', () => {
    const f = firing('rush-hour', 20 * 60_000);
    expect(f('traffic congestion').size).toBe(Math.ceil(0.25 * countOf('traffic')));
    expect(Math.min(...f('traffic congestion').values())).toBeLessThan(7 * 60_000);
    expect(f('noise').size).toBe(Math.ceil(0.34 * countOf('noise')));
  });

  it('heatwave: warm fridges, fevers, fine dust', () => {
    const f = firing('heatwave', 20 * 60_000);
    expect(f('cold chain out of range').size).toBeGreaterThan(0);
    expect(f('cold chain out of range').size).toBeLessThan(countOf('cold_chain'));
    expect(f('wearable fever').size).toBe(Math.ceil(0.1 * countOf('wearable')));
    expect(f('fine dust').size).toBe(countOf('air'));
  });

  it('fire: smoke on 3 detectors within a minute', () => {
    const f = firing('fire', 5 * 60_000, 5000);
    expect(f('smoke').size).toBe(3);
    expect(Math.max(...f('smoke').values())).toBeLessThan(60_000);
  });

  it('flood: warning, then critical, on 4 gauges', () => {
    const f = firing('flood', 15 * 60_000);
    expect(f('flood warning').size).toBe(4);
    expect(f('flood critical').size).toBe(4);
  });

  it('gas-leak: carbon monoxide, methane warning and methane critical on 3 detectors within seconds', () => {
    const f = firing('gas-leak', 60_000, 1000);
    expect(f('carbon monoxide').size).toBe(3);
    expect(Math.max(...f('carbon monoxide').values())).toBeLessThan(15_000);
    for (const rule of ['methane warning', 'methane critical']) {
      expect([rule, [...f(rule).keys()].sort()]).toEqual([rule, [...f('carbon monoxide').keys()].sort()]);
      expect(Math.max(...f(rule).values())).toBeLessThan(20_000);
    }
  });

  it('mass-casualty: SpO2 low and heart rate high on the 8 nearest wearables', () => {
    const f = firing('mass-casualty', 5 * 60_000, 5000);
    expect(f('wearable spo2 low').size).toBe(8);
    expect(f('wearable heart_rate high').size).toBe(8);
  });
});
