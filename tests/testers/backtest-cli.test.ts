import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../fixtures/cli.js';

const cli = runCli;

// A hand-written recording: one gas detector whose CO passes 50 ppm for two readings, one that stays low.
describe('citysense backtest (offline CLI): exit status for a test suite', () => {
  let dir: string;
  let recording: string;
  const rule = (over: Record<string, unknown> = {}) => {
    const file = join(dir, `rule-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ name: 'co', match: { type: 'gas' }, metric: 'co', condition: { op: '>', value: 50 }, severity: 'critical', ...over }));
    return file;
  };
  const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-bt-cli-'));
    recording = join(dir, 'run.jsonl');
    const devices = [
      { id: 'g1', domain: 'safety', type: 'gas', district: 'Xixia', location: { lat: 38.47, lon: 106.1 } },
      { id: 'g2', domain: 'safety', type: 'gas', district: 'Jinfeng', location: { lat: 38.5, lon: 106.2 } },
    ];
    const lines: unknown[] = [{ kind: 'citysense-recording', version: 1, startedAt: T0, seed: 'x', scenario: 'hand', rate: 1, qos: 1, devices }];
    const co = [3, 4, 80, 90, 20, 3];
    co.forEach((v, i) => {
      for (const d of devices) {
        const value = d.id === 'g1' ? v : 3;
        lines.push({ t: i * 30_000, device: d.id, topic: `city/safety/gas/${d.id}`, qos: 1, payload: JSON.stringify({ ts: T0 + i * 30_000, seq: i, values: { co: value, ch4: 1 } }) });
      }
    });
    lines.push({ t: 200_000, device: 'g2', topic: 'city/safety/gas/g2', qos: 1, payload: '{"co": "high"}', fault: 'wrong_type' });
    writeFileSync(recording, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a summary table and exits 0 with --expect-fire when the rule fires', async () => {
    const r = await cli(['backtest', '--rule', rule(), '--recording', recording, '--expect-fire']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^rule: co\nreadings: 12 from 2 devices; refused by validation: wrong_type 1\nalerts: 1\n/);
    expect(r.stdout).toMatch(new RegExp(`g1 +Xixia +${new Date(T0 + 60_000).toISOString()} +${new Date(T0 + 120_000).toISOString()} +80`));
  });

  it('exits 1 when --expect-quiet does not hold, or --expect-fire does not', async () => {
    const loud = await cli(['backtest', '--rule', rule(), '--recording', recording, '--expect-quiet']);
    expect(loud.code).toBe(1);
    expect(loud.stderr).toMatch(/would fire 1 times \(--expect-quiet\)/);
    const quiet = await cli(['backtest', '--rule', rule({ condition: { op: '>', value: 500 } }), '--recording', recording, '--expect-fire']);
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toMatch(/would not fire/);
    const ok = await cli(['backtest', '--rule', rule({ condition: { op: '>', value: 500 } }), '--recording', recording, '--expect-quiet']);
    expect(ok.code).toBe(0);
  }, 60_000);

  it('exits 2 on a usage error, naming what is wrong', async () => {
    const missing = await cli(['backtest', '--recording', recording]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--rule/);
    const badRule = await cli(['backtest', '--rule', rule({ metric: 'heart_rate' }), '--recording', recording]);
    expect(badRule.code).toBe(2);
    expect(badRule.stderr).toMatch(/metric: .*has no metric heart_rate/);
    const noFile = await cli(['backtest', '--rule', rule(), '--recording', join(dir, 'nope.jsonl')]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/--recording/);
  }, 60_000);
});
