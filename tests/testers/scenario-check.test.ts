import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../fixtures/app.js';
import { runCli } from '../fixtures/cli.js';

const cli = runCli;

describe('citysense simulate --check: the alerts raised against the scenario\'s expected alerts', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'citysense-check-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const sim = (scenario: string, duration: string, prefix: string, check = true) => cli([
    'simulate', '--mqtt', t.mqttUrl, '--devices', '40', '--rate', '20', '--duration', duration, '--seed', prefix, '--scenario', scenario,
    '--provision', t.httpUrl, '--token', t.adminToken, ...(check ? ['--check'] : []),
  ]);

  it('gas-leak raises what it expects: the summary says so by rule and district, exit 0', async () => {
    const r = await sim('gas-leak', '20s', 'check-gl');
    expect(r.stdout).toMatch(/alerts \(rule: expected \/ raised, by district\):\n {2}carbon monoxide: expected \/ [A-Z][a-z]+ \d.*ok/);
    expect(r.stdout).not.toMatch(/mismatch/);
    expect(r.code).toBe(0);
  }, 90_000);

  it('an expected alert that is not raised is a mismatch: exit 1 with --check, 0 without', async () => {
    const file = join(dir, 'expects-smoke.json');
    writeFileSync(file, JSON.stringify({ name: 'expects-smoke', expectedAlerts: [{ rule: 'smoke', severity: 'critical', devices: 'any smoke detector' }] }));
    const checked = await sim(file, '3s', 'check-sm');
    expect(checked.stdout).toMatch(/smoke: expected \/ none {2}MISSING\nmismatch: smoke not raised/);
    expect(checked.stderr).toMatch(/differ from the scenario's expected alerts/);
    expect(checked.code).toBe(1);
    const unchecked = await sim(file, '3s', 'check-sm2', false);
    expect(unchecked.stdout).toMatch(/MISSING/);
    expect(unchecked.code).toBe(0);
  }, 90_000);

  it('--check without --provision is a usage error', async () => {
    const r = await cli(['simulate', '--mqtt', t.mqttUrl, '--duration', '1s', '--check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--check needs --provision/);
  });
});
