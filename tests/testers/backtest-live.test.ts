import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestApp, type LiveClient, type StoreKind, type TestApp } from '../fixtures/app.js';
import { parseScenario, runSimulation } from '../../src/simulator/index.js';
import { runCli } from '../fixtures/cli.js';

interface Episode { ruleId: string; deviceId: string; firedAt: string; resolvedAt: string | null }

// Two incidents that start and end within the run: CO on one gas detector (fires at once, resolves when the leak
// stops), a crowd crush on two wearables (spo2 low after 15 s, heart_rate high after 30 s, both resolve at its end).
const scenario = parseScenario({
  name: 'backtest-incidents',
  clock: '12:00',
  events: [
    { name: 'leak', at: '3s', duration: '12s', select: { type: 'gas', count: 1 }, effects: [{ metric: 'co', set: 120, jitter: 4 }] },
    {
      name: 'crush', at: '3s', duration: '36s', select: { type: 'wearable', count: 2 },
      effects: [{ metric: 'heart_rate', set: 145, jitter: 3 }, { metric: 'spo2', set: 86, jitter: 1 }],
    },
  ],
});

const cli = runCli;

const key = (e: Episode) => `${e.ruleId} ${e.deviceId} ${e.firedAt} ${e.resolvedAt}`;

describe.each<StoreKind>(['sqlite', 'influxdb'])('backtest over recorded history (%s)', (store) => {
  let t: TestApp;
  let dir: string;
  let live: LiveClient;
  let startedAt: number;
  let liveAlerts: Episode[];
  let builtin: { id: string; name: string; enabled: boolean }[];
  let file: string;

  beforeAll(async () => {
    t = await startTestApp(store);
    dir = mkdtempSync(join(tmpdir(), 'citysense-backtest-'));
    file = join(dir, 'run.jsonl');
    await runSimulation({
      mqtt: t.mqttUrl, devices: 24, rate: 30, durationMs: 48_000, seed: 'backtest', scenario, record: file,
      provision: { api: t.httpUrl, token: t.adminToken }, prefix: 'bt',
    });
    startedAt = JSON.parse(readFileSync(file, 'utf8').split('\n', 1)[0]!).startedAt;
    // Everything acknowledged is in the store, and no `for` is still running.
    await eventually(async () => {
      const s = (await t.api('GET', '/api/stats')).body;
      return s.readings.stored >= s.readings.accepted && s.spool.backlog === 0;
    }, 'the store to hold every accepted reading', 30_000);
    await new Promise((r) => setTimeout(r, 2000));
    liveAlerts = (await t.api('GET', '/api/alerts?limit=1000')).body.items;
    builtin = (await t.api('GET', '/api/rules')).body.items.filter((r: { builtin: boolean }) => r.builtin);
    live = await t.live();
  }, 150_000);
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const backtest = async (body: Record<string, unknown>) => {
    const r = await t.api('POST', '/api/rules/backtest', { from: new Date(startedAt - 1000).toISOString(), to: 'now', ...body });
    expect(r.status).toBe(200);
    return r.body as { alerts: Episode[]; devices: { deviceId: string; readings: number; alerts: number }[]; readings: number };
  };

  it('raises, for every built-in rule, exactly the alerts the live engine raised (device, rule, fired and resolved times)', async () => {
    // The incidents did raise alerts live, of both kinds: at once (CO) and after a `for` (spo2, heart_rate), and resolved.
    const rulesLive = new Set(liveAlerts.map((a) => builtin.find((r) => r.id === a.ruleId)?.name));
    expect(rulesLive).toEqual(new Set(['carbon monoxide', 'wearable spo2 low', 'wearable heart_rate high']));
    expect(liveAlerts.every((a) => a.resolvedAt !== null)).toBe(true);
    const stateBefore = (await t.api('GET', '/api/alerts?limit=1000')).body.items;
    const eventsBefore = live.events.length;

    const fromBacktest: Episode[] = [];
    let readings = 0;
    for (const rule of builtin) {
      const r = await backtest({ ruleId: rule.id });
      fromBacktest.push(...r.alerts);
      readings = Math.max(readings, r.readings);
    }
    expect(fromBacktest.map(key).sort()).toEqual(liveAlerts.map(key).sort());
    expect(readings).toBeGreaterThan(0);
    // Live state unchanged, nothing pushed.
    expect((await t.api('GET', '/api/alerts?limit=1000')).body.items).toEqual(stateBefore);
    await new Promise((r) => setTimeout(r, 300));
    expect(live.events.slice(eventsBefore)).toEqual([]);
  });

  it('answers per-device counts and how many readings it read', async () => {
    const co = builtin.find((r) => r.name === 'carbon monoxide')!;
    const r = await backtest({ ruleId: co.id });
    expect(r.devices.length).toBeGreaterThan(0);
    expect(r.devices.every((d) => d.deviceId.startsWith('bt-') && d.readings > 0)).toBe(true);
    expect(r.readings).toBe(r.devices.reduce((n, d) => n + d.readings, 0));
    expect(r.devices.reduce((n, d) => n + d.alerts, 0)).toBe(r.alerts.length);
  });

  it('a draft with a lower threshold raises more; a disabled one none; neither is saved', async () => {
    const rulesBefore = (await t.api('GET', '/api/rules')).body.items;
    const draft = { name: 'co draft', match: { type: 'gas' }, metric: 'co', condition: { op: '>', value: 1 }, severity: 'warning' };
    const lower = await backtest({ rule: draft });
    const liveCo = liveAlerts.filter((a) => a.ruleId === builtin.find((r) => r.name === 'carbon monoxide')!.id);
    expect(lower.alerts.length).toBeGreaterThan(liveCo.length);
    expect(new Set(lower.alerts.map((a) => a.deviceId)).size).toBeGreaterThan(new Set(liveCo.map((a) => a.deviceId)).size);
    const disabled = await backtest({ rule: { ...draft, enabled: false } });
    expect(disabled.alerts).toEqual([]);
    expect((await t.api('GET', '/api/rules')).body.items).toEqual(rulesBefore);
  });

  it('offline, over the recording, the CLI gives the same alerts as the API on the same readings', async () => {
    const rules = (await t.api('GET', '/api/rules')).body.items as Record<string, unknown>[];
    for (const name of ['carbon monoxide', 'wearable spo2 low', 'wearable heart_rate high']) {
      const { id, builtin: _b, createdAt: _c, updatedAt: _u, createdBy: _cb, updatedBy: _ub, ...body } = rules.find((r) => r.name === name)!;
      const ruleFile = join(dir, `${id}.json`);
      writeFileSync(ruleFile, JSON.stringify(body));
      const offline = await cli(['backtest', '--rule', ruleFile, '--recording', file, '--json', '--expect-fire']);
      expect([offline.code, offline.stderr]).toEqual([0, '']);
      const api = await backtest({ ruleId: id });
      const pick = (a: Episode & { value: number }) => ({ deviceId: a.deviceId, firedAt: a.firedAt, resolvedAt: a.resolvedAt, value: a.value });
      const fromCli = JSON.parse(offline.stdout).alerts.map((a: { deviceId: string; firedAt: number; resolvedAt: number | null; value: number }) => ({
        ...a, firedAt: new Date(a.firedAt).toISOString(), resolvedAt: a.resolvedAt === null ? null : new Date(a.resolvedAt).toISOString(),
      }));
      expect(fromCli.map(pick)).toEqual(api.alerts.map((a) => pick(a as Episode & { value: number })));
      expect(fromCli.length).toBeGreaterThan(0);
    }
  }, 60_000);

  it('narrows by match, and refuses bad input with the field named', async () => {
    const co = builtin.find((r) => r.name === 'carbon monoxide')!;
    const one = liveAlerts.find((a) => a.ruleId === co.id)!;
    const r = await backtest({ ruleId: co.id, match: { deviceId: one.deviceId } });
    expect(r.devices.map((d) => d.deviceId)).toEqual([one.deviceId]);
    const bad = async (body: unknown, pattern: RegExp, status = 400) => {
      const res = await t.api('POST', '/api/rules/backtest', body);
      expect([res.status, res.body.error.message]).toEqual([status, expect.stringMatching(pattern)]);
    };
    await bad({ from: '-1h' }, /rule/);
    await bad({ ruleId: co.id, rule: { name: 'x', metric: 'co', condition: { op: '>', value: 1 }, severity: 'info' }, from: '-1h' }, /rule/);
    await bad({ ruleId: 'no-such-rule', from: '-1h' }, /no-such-rule/, 404);
    await bad({ ruleId: co.id, from: 'yesterday' }, /from/);
    await bad({ ruleId: co.id, from: 'now', to: '-1h' }, /to/);
    await bad({ rule: { name: 'x', match: { type: 'gas' }, metric: 'heart_rate', condition: { op: '>', value: 1 }, severity: 'info' }, from: '-1h' }, /rule\.metric/);
  });
});
