import { describe, expect, it } from '@jest/globals';
import { decodePayload } from '../../src/ingest/index.js';

const receivedAt = Date.parse('2025-11-28T16:00:00.000Z');
const nowS = receivedAt / 1000;
const decode = (deviceId: string, pack: unknown) => decodePayload(Buffer.from(JSON.stringify(pack)), { deviceId, receivedAt });

// Examples from RFC 8428 section 5, with names, units and times changed to fit our catalog and time window.
describe('SenML decoder (RFC 8428 JSON)', () => {
  it('single datapoint (5.1.1): one reading at the receive time, unit passed on', () => {
    expect(decode('smoke-1', [{ bn: 'urn:dev:ow:smoke-1:', n: 'temp', u: 'Cel', v: 23.1 }])).toEqual({
      ok: true,
      readings: [{ ts: receivedAt, deviceTs: false, values: [{ name: 'temp', value: 23.1, unit: 'Cel' }] }],
    });
  });

  it('multiple datapoints (5.1.2): records at the same time become one reading', () => {
    const r = decode('gas-1', [{ bn: 'urn:dev:ow:gas-1:', n: 'co', u: 'ppm', v: 120.1 }, { n: 'ch4', u: '%LEL', v: 1.2 }]);
    expect(r).toEqual({
      ok: true,
      readings: [{ ts: receivedAt, deviceTs: false, values: [{ name: 'co', value: 120.1, unit: 'ppm' }, { name: 'ch4', value: 1.2, unit: '%LEL' }] }],
    });
  });

  it('multiple measurements (5.1.3): bt + t in seconds, base unit, one reading per time', () => {
    const bt = nowS - 60;
    const r = decode('loop-7', [
      { bn: 'urn:dev:ow:loop-7:', bt, bu: 'km/h', bver: 5, n: 'flow', u: 'veh/min', v: 12 },
      { n: 'speed', t: -5, v: 41.2 },
      { n: 'speed', t: -4, v: 41.3 },
      { n: 'speed', t: -3, v: 41.4 },
      { n: 'speed', t: -2, v: 41.5 },
      { n: 'speed', t: -1, v: 41.6 },
      { n: 'speed', v: 41.7 },
    ]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.readings.map((x) => x.ts)).toEqual([-5, -4, -3, -2, -1, 0].map((t) => (bt + t) * 1000));
    expect(r.readings.every((x) => x.deviceTs)).toBe(true);
    expect(r.readings[0]!.values).toEqual([{ name: 'speed', value: 41.2, unit: 'km/h' }]);
    expect(r.readings[5]!.values).toEqual([{ name: 'flow', value: 12, unit: 'veh/min' }, { name: 'speed', value: 41.7, unit: 'km/h' }]);
  });

  it('alternative data types (5.1.6): a boolean with vb', () => {
    const r = decode('fridge-3', [{ bn: 'fridge-3/', n: 'temp', u: 'Cel', v: 4.1 }, { n: 'door_open', vb: false }]);
    expect(r).toMatchObject({ ok: true, readings: [{ values: [{ name: 'temp', value: 4.1, unit: 'Cel' }, { name: 'door_open', value: false }] }] });
  });

  it('passes a string value on, for the catalog to refuse as the wrong type', () => {
    const r = decode('fridge-3', [{ n: 'temp', vs: 'cold' }]);
    expect(r).toMatchObject({ ok: true, readings: [{ values: [{ name: 'temp', value: 'cold' }] }] });
  });

  it('adds the base value, and a record without v takes the base value', () => {
    const r = decode('gas-1', [{ bn: 'gas-1/', bv: 100, n: 'co', v: 5 }, { n: 'ch4', t: 1 }]);
    expect(r).toMatchObject({ ok: true, readings: [{ values: [{ name: 'co', value: 105 }] }, { values: [{ name: 'ch4', value: 100 }] }] });
  });

  it('times below 2**28 are relative to the receive time; later ones absolute', () => {
    const r = decode('gas-1', [{ n: 'co', v: 5, t: -10 }, { n: 'co', v: 6, bt: 0, t: -5.5 }, { n: 'ch4', v: 1, bt: nowS - 30 }]);
    expect(r.ok && r.readings.map((x) => [x.ts, x.deviceTs])).toEqual([
      [receivedAt - 30_000, true],
      [receivedAt - 10_000, false],
      [receivedAt - 5_500, false],
    ]);
  });

  it('takes a base name that is absent, or that names the device either way', () => {
    for (const bn of [undefined, 'gas-1/', 'urn:dev:mac:gas-1:', 'urn:dev:ow:site:4:gas-1:']) {
      expect(decode('gas-1', [{ bn, n: 'co', v: 5 }]).ok).toBe(true);
    }
  });

  it.each<[string, string, unknown[]]>([
    ['wrong_device', 'bn names another device', [{ bn: 'gas-2/', n: 'co', v: 5 }]],
    ['wrong_device', 'urn bn names another device', [{ bn: 'urn:dev:ow:gas-2:', n: 'co', v: 5 }]],
    ['wrong_device', 'a later bn names another device', [{ bn: 'gas-1/', n: 'co', v: 5 }, { bn: 'gas-2/', n: 'co', v: 6 }]],
    ['wrong_device', 'a suffix is not the device', [{ bn: 'xgas-1/', n: 'co', v: 5 }]],
    ['malformed_payload', 'bn without the trailing separator', [{ bn: 'gas-1', n: 'co', v: 5 }]],
    ['malformed_payload', 'urn bn with no scheme part', [{ bn: 'urn:dev::gas-1:', n: 'co', v: 5 }]],
    ['malformed_payload', 'a record without n', [{ bn: 'gas-1/', v: 5 }]],
    ['malformed_payload', 'two value fields', [{ n: 'co', v: 5, vb: true }]],
    ['malformed_payload', 'a sum-only record', [{ n: 'co', s: 5 }]],
    ['malformed_payload', 'a must-understand label', [{ n: 'co', v: 5, ttl_: 3 }]],
    ['malformed_payload', 'a version above 10', [{ bver: 11, n: 'co', v: 5 }]],
    ['malformed_payload', 'a record that is not an object', [{ n: 'co', v: 5 }, 'ch4']],
    ['wrong_type', 'v as a string', [{ n: 'co', v: '5' }]],
    ['bad_timestamp', 't as a string', [{ n: 'co', v: 5, t: 'now' }]],
    ['bad_timestamp', 'bt as a string', [{ bt: '2025-11-28', n: 'co', v: 5 }]],
  ])('refuses as %s: %s', (reason, _what, pack) => {
    const r = decode('gas-1', pack);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe(reason);
  });

  it('ignores labels it does not know that are not must-understand', () => {
    expect(decode('gas-1', [{ n: 'co', v: 5, ut: 60, vendor: 'x' }]).ok).toBe(true);
  });
});
