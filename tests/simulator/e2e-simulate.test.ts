import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';
import { BUILTIN_SCENARIOS, ConnectError, ProvisionError, loadScenario, runSimulation } from '../../src/simulator/index.js';

/** The messages of a recording with the device timestamps blanked (they are the only thing a seed does not fix). */
function recorded(file: string): string[] {
  return readFileSync(file, 'utf8').trim().split('\n').slice(1)
    .map((line) => line.replace(/"ts\\?":\d+/g, '"ts":_').replace(/"bt\\?":[\d.]+/g, '"bt":_'));
}

describe('simulate against a running citysense', () => {
  let t: TestApp;
  let dir: string;
  const provision = () => ({ api: t.httpUrl, token: t.adminToken });
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'citysense-sim-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records the same messages for two runs with the same seed', async () => {
    const run = (file: string, seed: string) => runSimulation({
      mqtt: t.mqttUrl, devices: 24, rate: 60, durationMs: 5000, seed, scenario: 'sensor-faults', record: file,
      provision: provision(), prefix: 'det',
    });
    const first = await run(join(dir, 'a.jsonl'), 'same');
    const second = await run(join(dir, 'b.jsonl'), 'same'); // the devices exist now: their credentials are renewed
    await run(join(dir, 'c.jsonl'), 'other');
    expect(first.sent).toBeGreaterThan(250);
    expect(second.sent).toBe(first.sent);
    const a = recorded(join(dir, 'a.jsonl'));
    expect(a).toHaveLength(first.sent);
    expect(recorded(join(dir, 'b.jsonl'))).toEqual(a);
    expect(recorded(join(dir, 'c.jsonl'))).not.toEqual(a);
  }, 60_000);

  it('sensor-faults produces dead letters with the reasons it documents, and only those', async () => {
    const result = await runSimulation({
      mqtt: t.mqttUrl, devices: 12, rate: 40, durationMs: 8000, seed: 3, scenario: 'sensor-faults', provision: provision(), prefix: 'sf',
    });
    expect(result.faults).toBeGreaterThan(20);
    expect(result.acknowledged).toBe(result.sent); // invalid payloads are acknowledged, then dead-lettered
    const expected = loadScenario('sensor-faults', BUILTIN_SCENARIOS).expectedDeadLetters;
    const reasons = (await eventually(async () => {
      const r = await t.api('GET', '/api/dead-letters?limit=1000');
      const mine = (r.body.items as Array<{ deviceId: string | null; reason: string }>).filter((d) => d.deviceId?.startsWith('sf-'));
      const set = new Set(mine.map((d) => d.reason));
      return expected.every((x) => set.has(x)) ? set : undefined;
    }, 'the expected dead-letter reasons'))!;
    expect([...reasons].sort()).toEqual([...expected].sort());
  }, 60_000);

  it('keeps the achieved rate within 5% of --rate: 20 s at 100 msg/s, QoS 1', async () => {
    const before = (await t.api('GET', '/api/stats')).body.readings.accepted;
    const result = await runSimulation({
      mqtt: t.mqttUrl, devices: 100, rate: 100, durationMs: 20_000, seed: 'rate', scenario: 'normal', provision: provision(), prefix: 'rate', qos: 1,
    });
    expect(Math.abs(result.rate - 100)).toBeLessThan(5);
    expect(Math.abs(result.sent - 2000)).toBeLessThanOrEqual(1);
    expect(result.acknowledged).toBe(result.sent);
    expect(result.refused).toBe(0);
    await eventually(async () => (await t.api('GET', '/api/stats')).body.readings.accepted - before >= result.sent, 'every reading accepted');
  }, 60_000);

  it('fails when it cannot provision: a wrong token', async () => {
    await expect(runSimulation({
      mqtt: t.mqttUrl, devices: 2, durationMs: 1000, provision: { api: t.httpUrl, token: 'wrong-token-123456' },
    })).rejects.toThrow(ProvisionError);
  });

  it('fails when a device cannot connect: a wrong password', async () => {
    const file = join(dir, 'bad-creds.json');
    const d = await t.device('safety', 'gas');
    writeFileSync(file, JSON.stringify({ devices: [{ id: d.id, domain: 'safety', type: 'gas', username: d.username, password: 'nope' }] }));
    await expect(runSimulation({ mqtt: t.mqttUrl, credentialsFile: file, durationMs: 1000 })).rejects.toThrow(ConnectError);
  });
});
