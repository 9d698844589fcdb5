import { describe, expect, it } from '@jest/globals';
import { Point } from '@influxdata/influxdb-client';
import type { Reading } from '../../src/core/index.js';
import { LineEncoder } from '../../src/storage/influx/line.js';

/** The line the client's Point writes for a reading (the adapter's former encoding). */
function viaPoint(r: Reading): string {
  const p = new Point('readings').tag('device', r.deviceId).tag('domain', r.domain).tag('type', r.type).timestamp(Math.floor(r.ts));
  for (const [m, v] of Object.entries(r.values)) {
    if (typeof v === 'boolean') p.booleanField(m, v);
    else p.floatField(m, v);
  }
  p.intField('received_at', r.receivedAt);
  if (r.seq !== undefined) p.intField('seq', r.seq);
  return p.toLineProtocol()!;
}

/** Measurement and tags, the set of fields, and the time: field order carries no meaning in line protocol. */
function parts(line: string) {
  const [head, fields, time] = line.split(/(?<!\\) /);
  return { head, fields: new Set(fields!.split(/(?<!\\),/)), time };
}

describe('InfluxDB line encoding', () => {
  const readings: Reading[] = [
    { deviceId: 'gas-1', domain: 'safety', type: 'gas', ts: 1764345600123, receivedAt: 1764345600200, seq: 7, values: { co: 12.5, ch4: 0 } },
    { deviceId: 'cc.2', domain: 'healthcare', type: 'cold_chain', ts: 1764345600000.7, receivedAt: 1764345600001, values: { temp: -3.25, door_open: true } },
    { deviceId: 'odd', domain: 'a b', type: 'c,d=e', ts: 1, receivedAt: 2, values: { 'x y': 1e21, 'p,q=r': -0.000001, f: false } },
  ];

  it.each(readings.map((r) => ({ id: r.deviceId, r })))('writes what the client Point writes for $id', ({ r }) => {
    expect(parts(new LineEncoder().line(r))).toEqual(parts(viaPoint(r)));
  });

  it('notices a device whose domain or type changed', () => {
    const enc = new LineEncoder();
    const r = readings[0]!;
    enc.line(r);
    const moved = { ...r, domain: 'transport', type: 'traffic' };
    expect(parts(enc.line(moved))).toEqual(parts(viaPoint(moved)));
  });
});
