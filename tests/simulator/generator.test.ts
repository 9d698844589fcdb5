import { describe, expect, it } from '@jest/globals';
import { BUILTIN_CATALOG, Catalog } from '../../src/core/index.js';
import {
  BUILTIN_SCENARIOS, createGenerator, createPrng, createSlotPlanner, loadScenario, planFleet, type Scenario,
} from '../../src/simulator/index.js';

const catalog = new Catalog(BUILTIN_CATALOG);

/** The first `n` messages of a run, timestamps aside, as the slots would produce them at `rate`. */
function messages(seed: string, scenario: Scenario, n: number, devices = 60, rate = 50) {
  const root = createPrng(seed);
  const fleet = planFleet(catalog, { devices }, root.fork('fleet'));
  const periods = fleet.map((d) => catalog.get(d.domain, d.type)!.intervalMs);
  const planner = createSlotPlanner(periods, root.fork('schedule'));
  const gen = createGenerator({ catalog, fleet, scenario, seed, qos: 1 });
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const m = gen.next(planner.next(), (k * 1000) / rate);
    // A fixed clock: the same seed must give the same bytes, timestamps included.
    out.push(`${m.t} ${m.topic} ${m.fault ?? ''} ${m.silent ? 'silent' : m.encode(1_764_345_600_000)}`);
  }
  return out;
}

describe('message generator', () => {
  const normal = loadScenario('normal', BUILTIN_SCENARIOS);

  it('gives the same messages for the same seed', () => {
    expect(messages('42', normal, 3000)).toEqual(messages('42', normal, 3000));
    const faults = loadScenario('sensor-faults', BUILTIN_SCENARIOS);
    expect(messages('7', faults, 3000)).toEqual(messages('7', faults, 3000));
  });

  it('gives different messages for a different seed', () => {
    const a = messages('1', normal, 500);
    const b = messages('2', normal, 500);
    expect(a).not.toEqual(b);
  });

  it('uses no Math.random: messages do not change when it is tampered with', () => {
    const before = messages('9', normal, 500);
    const real = Math.random;
    Math.random = () => 0.5;
    try {
      expect(messages('9', normal, 500)).toEqual(before);
    } finally {
      Math.random = real;
    }
  });

  it('publishes form-2 payloads on the device topic, with seq counting up per device', () => {
    const root = createPrng('s');
    const fleet = planFleet(catalog, { devices: 24 }, root.fork('fleet'));
    const gen = createGenerator({ catalog, fleet, scenario: normal, seed: 's', qos: 0 });
    const seqs = new Map<number, number[]>();
    for (let k = 0; k < 200; k++) {
      const device = k % fleet.length;
      const m = gen.next(device, k * 100);
      expect(m.topic).toBe(`city/${fleet[device]!.domain}/${fleet[device]!.type}/${fleet[device]!.id}`);
      expect(m.qos).toBe(0);
      const p = JSON.parse(m.encode(1000));
      expect(p).toEqual({ ts: 1000, seq: expect.any(Number), values: expect.any(Object) });
      seqs.set(device, [...(seqs.get(device) ?? []), p.seq]);
    }
    for (const list of seqs.values()) expect(list).toEqual(list.map((_, i) => i));
  });
});

describe('slot planner', () => {
  it('gives each device slots in proportion to 1/interval, evenly spread', () => {
    // an ambulance (5 s) and a traffic loop (60 s): twelve to one
    const planner = createSlotPlanner([5000, 60_000], createPrng('p'));
    const picks = Array.from({ length: 1300 }, () => planner.next());
    const ambulance = picks.filter((d) => d === 0).length;
    expect(ambulance / (picks.length - ambulance)).toBeCloseTo(12, 0);
    // never more than 13 ambulance slots between two traffic slots
    let run = 0;
    for (const d of picks) {
      run = d === 0 ? run + 1 : 0;
      expect(run).toBeLessThanOrEqual(13);
    }
  });

  it('is the same sequence for the same seed', () => {
    const periods = [10_000, 60_000, 30_000, 5000, 60_000];
    const a = createSlotPlanner(periods, createPrng('x'));
    const b = createSlotPlanner(periods, createPrng('x'));
    for (let i = 0; i < 1000; i++) expect(a.next()).toBe(b.next());
  });
});
