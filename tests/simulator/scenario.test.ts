import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_CATALOG, Catalog } from '../../src/core/index.js';
import { BUILTIN_SCENARIOS, ScenarioError, checkScenarioNames, loadScenario, parseScenario, readScenarioFile } from '../../src/simulator/index.js';

const dir = mkdtempSync(join(tmpdir(), 'citysense-scenario-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scenarios', () => {
  it('has every built-in the contract names, each documenting what it should raise', () => {
    for (const name of ['normal', 'rush-hour', 'heatwave', 'fire', 'flood', 'gas-leak', 'mass-casualty', 'sensor-faults', 'dropouts']) {
      const s = loadScenario(name, BUILTIN_SCENARIOS);
      expect(s.name).toBe(name);
      expect(s.description.length).toBeGreaterThan(20);
      if (name !== 'normal' && name !== 'sensor-faults') expect(s.expectedAlerts.length).toBeGreaterThan(0);
    }
    expect(loadScenario('sensor-faults', BUILTIN_SCENARIOS).expectedDeadLetters.length).toBeGreaterThan(0);
  });

  it('reads a JSON file, with durations as text or seconds', () => {
    const file = join(dir, 'leak.json');
    writeFileSync(file, JSON.stringify({
      name: 'my leak', clock: '08:30',
      events: [{ at: '1m', duration: 90, ramp: '500ms', select: { type: 'gas', district: 'Xixia' }, effects: [{ metric: 'co', set: 200 }] }],
    }));
    const s = readScenarioFile(file);
    expect(s).toMatchObject({ name: 'my leak', clock: '08:30', timeScale: 1 });
    expect(s.events[0]).toMatchObject({ at: 60_000, duration: 90_000, ramp: 500, select: { type: ['gas'], district: ['Xixia'] } });
  });

  it('reads a YAML file', () => {
    const file = join(dir, 'skew.yaml');
    writeFileSync(file, [
      'name: skewed clocks',
      'timeScale: 60',
      'events:',
      '  - at: 10s',
      '    select: { type: [noise, air], fraction: 0.5 }',
      '    fault: { kind: clock_skew, skew: -2m }',
      '  - at: 0',
      '    every: 10m',
      '    duration: 1m',
      '    select: { count: 2 }',
      '    fault: { kind: dropout, disconnect: true }',
      '',
    ].join('\n'));
    const s = loadScenario(file, BUILTIN_SCENARIOS);
    expect(s.timeScale).toBe(60);
    expect(s.events[0]!.fault).toMatchObject({ kind: 'clock_skew', skew: -120_000, probability: 1 });
    expect(s.events[1]).toMatchObject({ every: 600_000, duration: 60_000, fault: { kind: 'dropout', disconnect: true } });
  });

  it.each([
    [{ name: 'x', events: [{ select: {} }] }, /effects, a fault or goto/],
    [{ name: 'x', events: [{ effects: [{ metric: 'co', set: 1, add: 2 }] }] }, /exactly one of set, add, multiply/],
    [{ name: 'x', events: [{ at: 'soon', effects: [{ metric: 'co', set: 1 }] }] }, /events\[0\]\.at/],
    [{ name: 'x', events: [{ every: '1m', fault: { kind: 'stuck' } }] }, /every needs a duration/],
    [{ name: 'x', events: [{ fault: { kind: 'gremlins' } }] }, /events\[0\]\.fault\.kind/],
    [{ name: 'x', clock: '25:00' }, /clock/],
    [{ name: 'x', surprise: true }, /surprise/],
  ])('refuses %j, naming the problem', (input, message) => {
    expect(() => parseScenario(input)).toThrow(ScenarioError);
    expect(() => parseScenario(input)).toThrow(message);
  });

  it('names what a scenario selects or changes that the catalog does not have; every built-in passes', () => {
    const catalog = new Catalog(BUILTIN_CATALOG);
    for (const name of BUILTIN_SCENARIOS.keys()) expect(() => checkScenarioNames(loadScenario(name, BUILTIN_SCENARIOS), catalog)).not.toThrow();
    const odd = parseScenario({
      name: 'odd',
      events: [
        { at: '1s', select: { domain: 'kitchen', type: ['gas', 'toaster'] }, effects: [{ metric: 'co', set: 80 }] },
        { at: '2s', select: { type: 'gas' }, effects: [{ metric: 'crumbs', set: 1 }, { metric: 'co', type: 'toaster', set: 1 }, { metric: 'water_level', type: 'gas', set: 1 }] },
      ],
    }, 'odd.json');
    let message = '';
    try { checkScenarioNames(odd, catalog); } catch (e) { expect(e).toBeInstanceOf(ScenarioError); message = (e as Error).message; }
    expect(message.split('\n').slice(1).map((l) => l.trim())).toEqual([
      'events[0].select.domain: no domain "kitchen"',
      'events[0].select.type: no type "toaster"',
      'events[1].effects[0].metric: no metric "crumbs"',
      'events[1].effects[1].type: no type "toaster"',
      'events[1].effects[2].metric: no metric "water_level" in type gas',
    ]);
  });

  it('names the built-ins when neither a name nor a file matches', () => {
    expect(() => loadScenario('earthquake', BUILTIN_SCENARIOS)).toThrow(/no built-in scenario or file named "earthquake" \(built-in: normal, rush-hour/);
  });

  it('says where a file does not parse', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'name: [unclosed\n');
    expect(() => readScenarioFile(file)).toThrow(/broken.yaml does not parse/);
  });
});
