import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestApp } from '../fixtures/app.js';
import { startPrivateNats, type PrivateNats } from '../fixtures/nats.js';
import { spoolRows } from '../ingest/fakes.js';

describe('stopping with NATS away', () => {
  let nats: PrivateNats;
  let dir: string;
  beforeAll(async () => {
    nats = await startPrivateNats();
    dir = mkdtempSync(join(tmpdir(), 'citysense-stream-stop-'));
  }, 30_000);
  afterAll(async () => {
    await nats?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops within its budget, keeping what the stream has not taken in the spool for the next start', async () => {
    const t = await startTestApp('sqlite', { NATS_URL: nats.url }, dir);
    const s = await t.sensor('safety', 'gas');
    await s.send({ co: 1 }, Date.now() - 2000);
    await eventually(async () => (await t.api('GET', '/readyz', undefined, null)).body.sinks.stream.lag === 0, 'the first reading on the stream');
    await nats.stop();
    await s.send({ co: 2 }, Date.now() - 1000);
    await eventually(async () => (await t.app.parts.readings.count(s.id)) === 2, 'the store to have both');
    const started = Date.now();
    await t.close(); // app.stop(5000): the alert publisher and the readings sink both wait for NATS
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(spoolRows(dir).map((r) => r.vals)).toEqual([JSON.stringify({ co: 2 })]);
    await nats.start();
  }, 60_000);
});
