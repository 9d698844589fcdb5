import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog } from '../../src/core/index.js';

const catalog = loadCatalog();
const wearable = catalog.get('healthcare', 'wearable')!;
const coldChain = catalog.get('healthcare', 'cold_chain')!;

describe('sensor catalog', () => {
  it('has the twelve built-in types of CONTRACT section 4', () => {
    expect(catalog.types.size).toBe(12);
    expect(catalog.domains).toEqual(['healthcare', 'transport', 'safety']);
    expect(catalog.get('safety', 'gas')!.intervalMs).toBe(30_000);
  });

  it('accepts valid values and converts allowed units', () => {
    expect(catalog.validate(wearable, [{ name: 'heart_rate', value: 72 }, { name: 'body_temp', value: 98.6, unit: 'degF' }])).toEqual({
      ok: true,
      values: { heart_rate: 72, body_temp: 37 },
    });
    expect(catalog.validate(coldChain, [{ name: 'door_open', value: true }])).toEqual({ ok: true, values: { door_open: true } });
  });

  it.each([
    [[{ name: 'pulse', value: 72 }], 'unknown_metric'],
    [[{ name: 'heart_rate', value: '72' }], 'wrong_type'],
    [[{ name: 'heart_rate', value: 251 }], 'out_of_range'],
    [[{ name: 'heart_rate', value: Number.NaN }], 'out_of_range'],
    [[{ name: 'heart_rate', value: 72, unit: 'Hz' }], 'bad_unit'],
    [[{ name: 'heart_rate', value: 72 }, { name: 'spo2', value: 20 }], 'out_of_range'],
  ])('refuses %j as %s', (values, reason) => {
    const r = catalog.validate(wearable, values);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe(reason);
  });

  it('refuses a boolean metric given a number', () => {
    const r = catalog.validate(coldChain, [{ name: 'door_open', value: 1 }]);
    expect(!r.ok && r.reason).toBe('wrong_type');
  });

  it('is extended by a CATALOG_FILE in extend mode', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'citysense-cat-')), 'catalog.json');
    writeFileSync(file, JSON.stringify({ mode: 'extend', types: [{ domain: 'energy', type: 'meter', interval: '15m', metrics: { kwh: { unit: 'kWh', min: 0 } } }] }));
    const c = loadCatalog(file);
    expect(c.types.size).toBe(13);
    expect(c.get('energy', 'meter')!.intervalMs).toBe(900_000);
  });
});
