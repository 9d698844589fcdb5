import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../fixtures/app.js';
import { runReplay, runSimulation } from '../../src/simulator/index.js';

/** A TCP port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('a platform that refuses (spool full)', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    // INFLUX_URL makes the readings store InfluxDB; nothing answers there, so nothing leaves the tiny spool and
    // it fills: then citysense refuses QoS 1 publishes by closing the connection without a PUBACK.
    t = await startTestApp('sqlite', { SPOOL_MAX_MB: '0.05', INFLUX_URL: `http://127.0.0.1:${await deadPort()}` });
    dir = mkdtempSync(join(tmpdir(), 'citysense-refused-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts messages whose connection the broker closed before their PUBACK as refused, in simulate and replay', async () => {
    const file = join(dir, 'run.jsonl');
    const provision = { api: t.httpUrl, token: t.adminToken };
    const run = await runSimulation({
      mqtt: t.mqttUrl, devices: 20, rate: 200, durationMs: 3000, seed: 'full', scenario: 'normal', record: file,
      provision, prefix: 'full', qos: 1, drainMs: 1500,
    });
    expect(run.acknowledged).toBeGreaterThan(0); // the spool took some before it filled
    expect(run.refused).toBeGreaterThan(0);
    expect(run.sent).toBe(run.acknowledged + run.refused + run.pending);

    const replayed = await runReplay({ file, mqtt: t.mqttUrl, provision, speed: 3, drainMs: 1500 });
    expect(replayed.sent).toBe(run.sent);
    expect(replayed.refused).toBeGreaterThan(0); // the spool is still full: nothing is taken
    expect(replayed.sent).toBe(replayed.acknowledged + replayed.refused + replayed.pending);
  }, 30_000);
});
