import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';
import { runReplay, runSimulation, type FleetDevice } from '../../src/simulator/index.js';

/** Every stored value of every device, per metric, oldest first. */
async function stored(t: TestApp, fleet: FleetDevice[], metrics: Map<string, string[]>) {
  const out: Record<string, unknown[]> = {};
  for (const d of fleet) {
    for (const m of metrics.get(`${d.domain}/${d.type}`)!) {
      const r = await t.api('GET', `/api/devices/${d.id}/readings?metric=${m}&from=-1h&limit=10000`);
      expect(r.status).toBe(200);
      out[`${d.id}/${m}`] = r.body.points.map((p: { v: unknown }) => p.v);
    }
  }
  return out;
}

describe('replay', () => {
  let a: TestApp;
  let b: TestApp;
  let dir: string;
  beforeAll(async () => {
    [a, b] = await Promise.all([startTestApp('sqlite'), startTestApp('sqlite')]);
    dir = mkdtempSync(join(tmpdir(), 'citysense-replay-'));
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores the same readings as the recorded run, on a fresh citysense', async () => {
    const file = join(dir, 'run.jsonl');
    const creds = join(dir, 'fleet.json');
    const run = await runSimulation({
      mqtt: a.mqttUrl, devices: 12, rate: 30, durationMs: 4000, seed: 'replay', scenario: 'normal', record: file,
      credentialsFile: creds, provision: { api: a.httpUrl, token: a.adminToken }, prefix: 'rp',
    });
    expect(run.acknowledged).toBe(run.sent);
    const catalog = (await a.api('GET', '/api/catalog')).body;
    const metrics = new Map<string, string[]>();
    for (const dom of catalog.domains) for (const ty of dom.types) metrics.set(`${dom.name}/${ty.name}`, ty.metrics.map((m: { name: string }) => m.name));
    const count = (s: Record<string, unknown[]>) => Object.values(s).reduce((n, v) => n + v.length, 0);
    const metricsSent = readFileSync(file, 'utf8').trim().split('\n').slice(1)
      .reduce((n, l) => n + Object.keys(JSON.parse(JSON.parse(l).payload).values).length, 0);

    const original = await eventually(async () => {
      const s = await stored(a, run.fleet, metrics);
      return count(s) === metricsSent && s;
    }, 'the run stored in A');

    const replayed = await runReplay({ file, mqtt: b.mqttUrl, provision: { api: b.httpUrl, token: b.adminToken } });
    expect(replayed).toMatchObject({ sent: run.sent, acknowledged: run.sent, refused: 0 });
    // relative timing kept: the replay lasts as long as the run's messages did
    expect(replayed.seconds).toBeGreaterThan(3.5);
    const copy = await eventually(async () => {
      const s = await stored(b, run.fleet, metrics);
      return count(s) === metricsSent && s;
    }, 'the replay stored in B');
    expect(copy).toEqual(original);

    // With the credentials file the run wrote, and faster: the same messages again in a quarter of the time.
    // Its progress line (on a terminal) counts against the recording's total.
    const drawn: string[] = [];
    const terminal = { isTTY: true, write: (s: string) => drawn.push(s) > 0 } as unknown as NodeJS.WriteStream;
    const fast = await runReplay({ file, mqtt: a.mqttUrl, credentialsFile: creds, speed: 4, progress: terminal });
    expect(fast).toMatchObject({ sent: run.sent, acknowledged: run.sent, refused: 0 });
    expect(fast.seconds).toBeLessThan(1.5);
    // eslint-disable-next-line no-control-regex -- the terminal's erase-line sequence the progress line draws with
    const lines = drawn.join('').split(/\r\x1b\[2K|\n/).filter(Boolean);
    expect(lines.at(-1)).toMatch(new RegExp(`^\\d+ s of 1 s {2}sent ${run.sent} of ${run.sent} \\(100%\\) {2}acked ${run.sent} {2}refused 0$`));
  }, 90_000);
});
