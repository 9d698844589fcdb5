import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';
import { runSimulation } from '../../src/simulator/index.js';

interface Alert { ruleName: string; deviceId: string; severity: string; state: string }

describe('scenarios raise the alerts they document (alert engine)', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'citysense-sim-alerts-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const alerts = async (prefix: string): Promise<Alert[]> => {
    const r = await t.api('GET', '/api/alerts?limit=1000');
    expect(r.status).toBe(200);
    return (r.body.items as Alert[]).filter((a) => a.deviceId.startsWith(`${prefix}-`));
  };
  const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => JSON.parse(l));

  it('gas-leak raises carbon monoxide and methane alerts on the 3 gas detectors nearest Xixia', async () => {
    const file = join(dir, 'gas.jsonl');
    const result = await runSimulation({
      mqtt: t.mqttUrl, devices: 40, rate: 20, durationMs: 25_000, seed: 'gas', scenario: 'gas-leak', record: file,
      provision: { api: t.httpUrl, token: t.adminToken }, prefix: 'gl',
    });
    const gas = result.fleet.filter((d) => d.type === 'gas');
    expect(gas.length).toBeGreaterThanOrEqual(3);
    const values = lines(file).filter((l) => l.topic?.includes('/gas/')).map((l) => ({ device: l.device as string, v: JSON.parse(l.payload).values }));
    const leaking = new Set(values.filter((l) => l.v.co > 50).map((l) => l.device));
    expect(leaking.size).toBe(3);
    expect(new Set(values.filter((l) => l.v.ch4 > 20).map((l) => l.device))).toEqual(leaking);
    const expected = [['carbon monoxide', 'critical'], ['methane warning', 'warning'], ['methane critical', 'critical']] as const;
    const fired = (await eventually(async () => {
      const all = await alerts('gl');
      return expected.every(([rule]) => all.filter((a) => a.ruleName === rule).length >= 3) ? all : undefined;
    }, 'three carbon monoxide, methane warning and methane critical alerts'))!;
    for (const [rule, severity] of expected) {
      const mine = fired.filter((a) => a.ruleName === rule);
      expect([rule, new Set(mine.map((a) => a.deviceId))]).toEqual([rule, leaking]);
      for (const a of mine) expect(a).toMatchObject({ severity, state: 'firing' });
    }
    // nothing else fired on this fleet
    expect(fired.filter((a) => !expected.some(([rule]) => rule === a.ruleName))).toEqual([]);
  }, 90_000);

  it('dropouts raise device stale alerts on the devices that went quiet', async () => {
    const file = join(dir, 'dropouts.jsonl');
    await runSimulation({
      mqtt: t.mqttUrl, devices: 12, rate: 6, durationMs: 60_000, seed: 'drop', scenario: 'dropouts', record: file,
      provision: { api: t.httpUrl, token: t.adminToken }, prefix: 'do',
    });
    // The ambulance or wearable that lost coverage at 10 s (15 s or 30 s intervals): stale well within the minute.
    const dropped = new Set(lines(file).filter((l) => l.action === 'drop').map((l) => l.device));
    expect(dropped.size).toBe(1);
    const stale = (await eventually(async () => {
      const s = (await alerts('do')).filter((a) => a.ruleName === 'device stale');
      return s.length > 0 ? s : undefined;
    }, 'a device stale alert', 20_000))!;
    expect(stale.map((a) => a.deviceId)).toEqual([...dropped]);
    expect(stale[0]).toMatchObject({ severity: 'warning' });
  }, 120_000);
});
