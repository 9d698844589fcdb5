// `citysense backtest --rule` takes what the API gives: a rule as GET /api/rules/{id} answers it (the fields the
// server sets are ignored, with a note on stderr), and the whole GET /api/rules answer (every rule, or --rule-id).
// The rule files are a real citysense's answers.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ruleInputSchema, ruleSchema } from '../../src/dashboard-api/index.js';
import { SERVER_SET_RULE_FIELDS } from '../../src/app/backtest-offline.js';
import { runCli } from '../fixtures/cli.js';
import { startTestApp, type TestApp } from '../fixtures/app.js';

describe('citysense backtest with a rule file from the API', () => {
  let t: TestApp;
  let dir: string;
  let recording: string;
  let oneRule: string;
  let allRules: string;
  let ruleCount: number;
  const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-bt-file-'));
    t = await startTestApp('sqlite');
    const created = await t.api('POST', '/api/rules', {
      id: 'co-early', name: 'co early', match: { type: 'gas' }, metric: 'co', condition: { op: '>', value: 50 }, severity: 'critical',
    });
    expect(created.status).toBe(201);
    await t.api('POST', '/api/rules', { id: 'co-never', name: 'co never', match: { type: 'gas' }, metric: 'co', condition: { op: '>', value: 5000 }, severity: 'warning' });
    const one = await t.api('GET', '/api/rules/co-early');
    expect(one.body).toHaveProperty('createdBy'); // what the server sets is there, as an operator copies it
    oneRule = join(dir, 'co-early.json');
    writeFileSync(oneRule, JSON.stringify(one.body, null, 2));
    const all = await t.api('GET', '/api/rules');
    ruleCount = all.body.items.length;
    expect(ruleCount).toBeGreaterThan(2); // the built-in rules too
    allRules = join(dir, 'rules.json');
    writeFileSync(allRules, JSON.stringify(all.body));

    recording = join(dir, 'run.jsonl');
    const devices = [{ id: 'g1', domain: 'safety', type: 'gas', district: 'Xixia' }];
    const lines: unknown[] = [{ kind: 'citysense-recording', version: 1, startedAt: T0, seed: 'x', scenario: 'hand', rate: 1, qos: 1, devices }];
    [3, 80, 90, 20].forEach((co, i) => lines.push({ t: i * 30_000, device: 'g1', topic: 'city/safety/gas/g1', qos: 1, payload: JSON.stringify({ ts: T0 + i * 30_000, seq: i, values: { co, ch4: 1 } }) }));
    writeFileSync(recording, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  }, 60_000);
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ignores exactly the fields the API sets and POST /api/rules does not take', () => {
    const set = Object.keys(ruleSchema.shape).filter((k) => !(k in ruleInputSchema.shape)).sort();
    expect([...SERVER_SET_RULE_FIELDS].sort()).toEqual(set);
  });

  it('backtests a rule as GET /api/rules/{id} answers it, saying on stderr which fields it ignored', async () => {
    const r = await runCli(['backtest', '--rule', oneRule, '--recording', recording, '--expect-fire']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`citysense: --rule ${oneRule}: ignored what the server sets (builtin, createdAt, updatedAt, createdBy, updatedBy)\n`);
    expect(r.stdout).toMatch(/^rule: co early\nreadings: 4 from 1 devices\nalerts: 1\n/);
  }, 60_000);

  it('backtests every rule of a GET /api/rules answer, or the one --rule-id names', async () => {
    const every = await runCli(['backtest', '--rule', allRules, '--recording', recording, '--json']);
    expect(every.code).toBe(0);
    const results = JSON.parse(every.stdout) as { rule: string; alerts: unknown[] }[];
    expect(results).toHaveLength(ruleCount);
    const byName = new Map(results.map((x) => [x.rule, x.alerts.length]));
    expect([byName.get('co early'), byName.get('co never')]).toEqual([1, 0]);

    const picked = await runCli(['backtest', '--rule', allRules, '--rule-id', 'co-never', '--recording', recording, '--json']);
    expect(picked.code).toBe(0);
    expect(JSON.parse(picked.stdout)).toMatchObject({ rule: 'co never', alerts: [] }); // one rule: one result, as for a rule file

    const expectFire = await runCli(['backtest', '--rule', allRules, '--recording', recording, '--expect-fire']);
    expect(expectFire.code).toBe(1); // every rule must fire; `co never` does not
    expect(expectFire.stderr).toMatch(/rule co never: the rule would not fire \(--expect-fire\)/);

    const unknown = await runCli(['backtest', '--rule', allRules, '--rule-id', 'nope', '--recording', recording]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--rule-id nope: no rule of the list/);
  }, 90_000);

  it('still refuses a field the API has never had, naming it', async () => {
    const file = join(dir, 'typo.json');
    writeFileSync(file, JSON.stringify({ name: 'x', metric: 'co', condition: { op: '>', value: 1 }, severity: 'info', severty: 'info' }));
    const r = await runCli(['backtest', '--rule', file, '--recording', recording]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/severty/);
  }, 60_000);
});
