import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Reading } from '../../src/core/index.js';
import { createSqliteReadingStore } from '../../src/storage/index.js';
import { eventually } from '../fixtures/app.js';
import { rssMb, startChildApp, type ChildApp } from '../fixtures/child-app.js';
import { readExport, type ExportRead } from './read-export.js';

// A million readings exported through the real HTTP API of the built app (a child process, so its RSS is its own),
// as CSV and as NDJSON: parsed back to the same values, the app's memory bounded meanwhile. Needs `npm run build`.
describe('history export of a million readings', () => {
  const DEVICES = 10;
  const PER_DEVICE = 100_000;
  const T0 = Date.UTC(2026, 0, 1);
  const ids = Array.from({ length: DEVICES }, (_, d) => `noise-${d}`);
  const valueOf = (i: number) => 20 + (i % 1000) / 10;
  const iso = (ms: number) => new Date(ms).toISOString();
  const token = randomBytes(24).toString('hex');
  let dir: string;
  let app: ChildApp | undefined;
  let expectedSum = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-export-'));
    // Straight into the store with its own API, in batches, before the app opens it.
    const store = createSqliteReadingStore({ file: join(dir, 'readings.db'), log: createLogger('silent') });
    await store.start();
    for (const id of ids) {
      for (let i = 0; i < PER_DEVICE; i += 50_000) {
        const batch: Reading[] = [];
        for (let k = i; k < i + 50_000; k++) {
          batch.push({ deviceId: id, domain: 'safety', type: 'noise', ts: T0 + k * 1000, receivedAt: T0 + k * 1000, values: { level: valueOf(k) } });
          expectedSum += valueOf(k);
        }
        await store.write(batch);
      }
    }
    await store.close();
    app = await startChildApp({ DATA_DIR: dir, ADMIN_TOKEN: token }, 30_000);
    for (const id of ids) {
      const res = await fetch(`${app.httpUrl}/api/devices`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id, domain: 'safety', type: 'noise', district: 'Xixia' }),
      });
      expect(res.status).toBe(201);
    }
    // Warm-up: a first export fills what is filled once (SQLite's page cache of the readings, up to its 64 MiB, and
    // V8's heap sizing). A response held whole (80 MB of CSV) or memory kept per row would show again in the next.
    const warm = await readExport(exportUrl('csv'), token);
    expect(warm.count).toBe(DEVICES * PER_DEVICE);
  }, 120_000);
  afterAll(async () => {
    if (app) {
      app.proc.kill('SIGTERM');
      await app.exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const exportUrl = (format: string) => `${app!.httpUrl}/api/export/readings?from=${iso(T0)}&to=${iso(T0 + PER_DEVICE * 1000)}&type=noise&format=${format}`;

  /** Runs one export while sampling the app's RSS; returns what was read and the RSS growth over the start in MiB. */
  async function measured(format: string): Promise<{ read: ExportRead; growthMb: number }> {
    const pid = app!.proc.pid!;
    const read = (p: string) => readFileSync(p, 'utf8');
    const before = rssMb(pid, read);
    let peak = before;
    const timer = setInterval(() => { peak = Math.max(peak, rssMb(pid, read)); }, 50);
    try {
      const r = await readExport(exportUrl(format), token);
      const growthMb = Math.max(peak, rssMb(pid, read)) - before;
      return { read: r, growthMb };
    } finally {
      clearInterval(timer);
    }
  }

  const last = ids[ids.length - 1]!;
  const lastTs = iso(T0 + (PER_DEVICE - 1) * 1000);

  it('CSV: every reading once, in order, the same values, in bounded memory', async () => {
    const { read: r, growthMb } = await measured('csv');
    expect(r.status).toBe(200);
    expect(r.complete).toBe(true);
    expect(r.count).toBe(DEVICES * PER_DEVICE);
    expect(r.first).toBe(`${iso(T0)},noise-0,safety,noise,Xixia,level,20,dB`);
    expect(r.last).toBe(`${lastTs},${last},safety,noise,Xixia,level,${valueOf(PER_DEVICE - 1)},dB`);
    expect(r.sum).toBeCloseTo(expectedSum, 3);
    expect(growthMb).toBeLessThan(100);
  }, 120_000);

  it('NDJSON: the same, one JSON object a line', async () => {
    const { read: r, growthMb } = await measured('ndjson');
    expect(r.status).toBe(200);
    expect(r.complete).toBe(true);
    expect(r.count).toBe(DEVICES * PER_DEVICE);
    expect(JSON.parse(r.first!)).toEqual({ ts: iso(T0), deviceId: 'noise-0', domain: 'safety', type: 'noise', district: 'Xixia', metric: 'level', value: 20, unit: 'dB' });
    expect(JSON.parse(r.last!)).toMatchObject({ ts: lastTs, deviceId: last, value: valueOf(PER_DEVICE - 1) });
    expect(r.sum).toBeCloseTo(expectedSum, 3);
    expect(growthMb).toBeLessThan(100);
  }, 120_000);

  it('stops reading the store when the client goes away, and logs how far it got', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = request(exportUrl('csv'), { headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.once('data', () => { req.destroy(); resolve(); });
      });
      req.on('error', () => {});
      req.on('close', () => resolve());
      req.once('error', reject);
      req.end();
    });
    const entry = await eventually(() => app!.lines.find((l: any) => l?.msg === 'history export ended early') as any, 'the early end logged', 30_000);
    expect(entry.aborted).toBe(true);
    expect(entry.rows).toBeLessThan(DEVICES * PER_DEVICE);
  }, 60_000);
});
