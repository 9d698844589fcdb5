import { describe, expect, it } from '@jest/globals';
import { BUILTIN_CATALOG, Catalog, type RawValue } from '../../src/core/index.js';
import {
  BUILTIN_SCENARIOS, YINCHUAN_DISTRICTS, createGenerator, createPrng, isInside, loadScenario, parseScenario, planFleet,
  type FleetDevice, type Outgoing, type Scenario,
} from '../../src/simulator/index.js';

const catalog = new Catalog(BUILTIN_CATALOG);
const NOW = 1_764_345_600_000;

/** Every device reports every `stepMs` of real time for `spanMs`; returns what each sent. */
function run(scenario: Scenario, fleet: FleetDevice[], spanMs: number, stepMs: number, seed = 'sig') {
  const gen = createGenerator({ catalog, fleet, scenario, seed, qos: 1 });
  const out: Array<{ d: FleetDevice; m: Outgoing; payload: string }> = [];
  for (let t = 0; t < spanMs; t += stepMs) {
    for (let i = 0; i < fleet.length; i++) {
      const m = gen.next(i, t);
      out.push({ d: fleet[i]!, m, payload: m.silent ? '' : m.encode(NOW + t) });
    }
  }
  return out;
}

function validate(d: FleetDevice, payload: string) {
  const sensor = catalog.get(d.domain, d.type)!;
  const data = JSON.parse(payload);
  const raw: RawValue[] = Array.isArray(data)
    ? data.map((r: any) => ({ name: r.n, value: r.v ?? r.vb, unit: r.u }))
    : Object.entries(data.values).map(([name, value]) => ({ name, value }));
  return catalog.validate(sensor, raw);
}

const fleet = planFleet(catalog, { devices: 120 }, createPrng('sig').fork('fleet'));

describe('fleet', () => {
  it('covers every catalog type and every district, each device inside its district', () => {
    expect(new Set(fleet.map((d) => `${d.domain}/${d.type}`))).toEqual(new Set(catalog.types.keys()));
    expect(new Set(fleet.map((d) => d.district))).toEqual(new Set(YINCHUAN_DISTRICTS.map((d) => d.name)));
    for (const d of fleet) expect(isInside(YINCHUAN_DISTRICTS.find((x) => x.name === d.district)!, d.location)).toBe(true);
    expect(new Set(fleet.map((d) => d.id)).size).toBe(fleet.length);
    for (const d of fleet) expect(d.id).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
  });

  it('has at least one of each type as soon as the fleet is as large as the catalog', () => {
    const small = planFleet(catalog, { devices: catalog.types.size }, createPrng('x'));
    expect(new Set(small.map((d) => d.type)).size).toBe(catalog.types.size);
    expect(planFleet(catalog, { devices: 5 }, createPrng('x'))).toHaveLength(5);
  });
});

describe('signals', () => {
  // A simulated day in a real minute.
  const day = parseScenario({ name: 'day', clock: '00:00', timeScale: 1440 });
  const msgs = run(day, fleet, 60_000, 250);
  const hourOf = (t: number) => (t / 1000) * 1440 / 3600;

  it('stay inside the catalog ranges all day', () => {
    for (const { d, payload } of msgs) {
      const r = validate(d, payload);
      if (!r.ok) throw new Error(`${d.id}: ${r.detail} in ${payload}`);
    }
  });

  const mean = (type: string, metric: string, from: number, to: number) => {
    const xs = msgs.filter(({ d, m }) => d.type === type && hourOf(m.t) >= from && hourOf(m.t) < to)
      .map(({ payload }) => JSON.parse(payload).values[metric] as number);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };

  it('follow daily cycles: traffic peaks at rush hour, noise dips at night', () => {
    expect(mean('traffic', 'occupancy', 7.5, 8.5)).toBeGreaterThan(2 * mean('traffic', 'occupancy', 2, 4));
    expect(mean('traffic', 'occupancy', 17.5, 18.5)).toBeGreaterThan(mean('traffic', 'occupancy', 12, 14));
    expect(mean('noise', 'level', 2, 4)).toBeLessThan(mean('noise', 'level', 8, 20) - 15);
    expect(mean('noise', 'level', 2, 4)).toBeLessThan(48);
    expect(mean('bus', 'passengers', 7.5, 8.5)).toBeGreaterThan(mean('bus', 'passengers', 2, 4));
  });

  it('correlate: traffic speed falls as occupancy rises', () => {
    const pairs = msgs.filter(({ d }) => d.type === 'traffic').map(({ payload }) => JSON.parse(payload).values);
    const xs = pairs.map((v) => v.occupancy as number);
    const ys = pairs.map((v) => v.speed as number);
    const mx = xs.reduce((a, b) => a + b) / xs.length;
    const my = ys.reduce((a, b) => a + b) / ys.length;
    let sxy = 0, sxx = 0, syy = 0;
    for (let i = 0; i < xs.length; i++) {
      sxy += (xs[i]! - mx) * (ys[i]! - my);
      sxx += (xs[i]! - mx) ** 2;
      syy += (ys[i]! - my) ** 2;
    }
    expect(sxy / Math.sqrt(sxx * syy)).toBeLessThan(-0.5);
  });

  it('drift: a device does not repeat the same value all day', () => {
    const levels = msgs.filter(({ d }) => d.type === 'flood').map(({ payload }) => JSON.parse(payload).values.water_level);
    expect(new Set(levels).size).toBeGreaterThan(levels.length / 4);
  });
});

describe('built-in scenarios', () => {
  const incidents = ['normal', 'rush-hour', 'heatwave', 'fire', 'flood', 'gas-leak', 'mass-casualty', 'dropouts'];

  it.each(incidents)('%s keeps every value inside the catalog ranges', (name) => {
    for (const { d, m, payload } of run(loadScenario(name, BUILTIN_SCENARIOS), fleet, 40 * 60_000, 10_000)) {
      if (m.silent) continue;
      const r = validate(d, payload);
      if (!r.ok) throw new Error(`${name} ${d.id} at ${m.t} ms: ${r.detail}`);
    }
  });

  it('gas-leak raises CO past the alert threshold on the 3 gas detectors nearest Xixia, and only there', () => {
    const msgs = run(loadScenario('gas-leak', BUILTIN_SCENARIOS), fleet, 300_000, 1000);
    const high = new Set(msgs.filter(({ d, payload }) => d.type === 'gas' && JSON.parse(payload).values.co > 50).map(({ d }) => d.id));
    expect(high.size).toBe(3);
    // after the leak (3 min from 10 s) every detector is back under the clear threshold
    for (const { d, m, payload } of msgs) if (d.type === 'gas' && m.t > 200_000) expect(JSON.parse(payload).values.co).toBeLessThan(35);
  });

  it('mass-casualty sends the nearest ambulances to Xingqing', () => {
    const msgs = run(loadScenario('mass-casualty', BUILTIN_SCENARIOS), fleet, 16 * 60_000, 5000);
    const at = YINCHUAN_DISTRICTS.find((d) => d.name === 'Xingqing')!.centre;
    const km = (v: { lat: number; lon: number }) => Math.hypot((v.lat - at.lat) * 111, (v.lon - at.lon) * 87);
    const ambulances = fleet.filter((d) => d.type === 'ambulance');
    const where = (id: string, t: number) => JSON.parse(msgs.find(({ d, m }) => d.id === id && m.t === t)!.payload).values;
    for (const a of ambulances) {
      const before = km(where(a.id, 25_000));
      const after = km(where(a.id, 15 * 60_000));
      // 14.5 minutes at city speeds: there, or at least 10 km closer (Lingwu is 40 km away)
      expect(after < 0.3 || before - after > 10).toBe(true);
      if (before < 10) expect(where(a.id, 15 * 60_000).speed).toBe(0);
    }
  });

  it('dropouts silence devices for a while, then they report again', () => {
    const msgs = run(loadScenario('dropouts', BUILTIN_SCENARIOS), fleet, 6 * 60_000, 5000);
    const silent = msgs.filter(({ m }) => m.silent);
    expect(silent.some(({ m }) => m.silent!.disconnect)).toBe(true);
    expect(silent.some(({ m }) => !m.silent!.disconnect)).toBe(true);
    const ids = new Set(silent.map(({ d }) => d.id));
    for (const id of ids) expect(msgs.some(({ d, m }) => d.id === id && m.t > 5 * 60_000 && !m.silent)).toBe(true);
  });

  it('sensor-faults spoils messages the way each fault says', () => {
    const msgs = run(loadScenario('sensor-faults', BUILTIN_SCENARIOS), fleet, 120_000, 1000);
    const reasons = new Set<string>();
    for (const { d, m, payload } of msgs) {
      if (!m.fault) {
        expect(validate(d, payload).ok).toBe(true);
        continue;
      }
      switch (m.fault) {
        case 'malformed':
          expect(() => JSON.parse(payload)).toThrow();
          reasons.add('malformed_json');
          break;
        case 'clock_skew': {
          const skew = JSON.parse(payload).ts - (NOW + m.t);
          expect([600_000, -90_000]).toContain(skew);
          if (skew > 300_000) reasons.add('bad_timestamp');
          break;
        }
        case 'stuck':
          break;
        default: {
          const r = validate(d, payload);
          expect(r.ok).toBe(false);
          if (!r.ok) reasons.add(r.reason);
        }
      }
    }
    expect([...reasons].sort()).toEqual(['bad_timestamp', 'bad_unit', 'malformed_json', 'out_of_range', 'unknown_metric', 'wrong_type']);
    // stuck devices repeat one set of values
    const stuck = msgs.filter(({ m }) => m.fault === 'stuck');
    const byDevice = new Map<string, Set<string>>();
    for (const { d, payload } of stuck) byDevice.set(d.id, (byDevice.get(d.id) ?? new Set()).add(JSON.stringify(JSON.parse(payload).values)));
    expect(byDevice.size).toBe(2);
    for (const values of byDevice.values()) expect(values.size).toBe(1);
  });
});
