import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Reading } from '../../src/core/index.js';
import { createInfluxReadingStore, type ReadingStore } from '../../src/storage/index.js';
import { freePort } from '../fixtures/influxd.js';

/**
 * The v2 write path (InfluxDB 2.x, 3.x, 1.8+) against a real server that speaks it: Debian's `victoria-metrics`
 * accepts POST /api/v2/write line protocol and reads it back through /api/v1/export (TOOLCHAIN.md). It answers
 * /ping without X-Influxdb-Version, so the store takes the current API, as it would for a managed InfluxDB.
 * It has no InfluxQL, so only writing is checked here; queries are covered by the 1.x suite.
 */
const BIN = process.env.VICTORIA_METRICS_BIN ?? 'victoria-metrics';
const log = createLogger('silent');

interface Exported {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

describe('InfluxDB v2 write path (against victoria-metrics)', () => {
  let dir: string;
  let proc: ChildProcess | undefined;
  let url: string;
  let store: ReadingStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-vm-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const child = spawn(BIN, [`-storageDataPath=${dir}`, `-httpListenAddr=127.0.0.1:${port}`, '-loggerLevel=ERROR', '-retentionPeriod=100y'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (e) => reject(new Error(`cannot start ${BIN} (install Debian's victoria-metrics package): ${e.message}`)));
      child.once('exit', (code) => reject(new Error(`${BIN} exited with ${code}: ${stderr}`)));
    });
    failed.catch(() => undefined);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const up = await Promise.race([fetch(`${url}/health`).then((r) => r.ok, () => false), failed]);
      if (up) break;
      if (Date.now() > deadline) throw new Error(`${BIN} did not answer /health within 15 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    store = createInfluxReadingStore({ url, token: 'not-checked-by-vm', org: 'city', bucket: 'citysense', log });
    await store.start();
  }, 30_000);

  afterAll(async () => {
    await store?.close();
    const p = proc;
    if (p && p.exitCode === null) {
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill('SIGTERM');
        setTimeout(() => p.kill('SIGKILL'), 5000).unref();
      });
    }
    rmSync(dir, { recursive: true, force: true });
  });

  async function exported(deviceId: string): Promise<Exported[]> {
    await fetch(`${url}/internal/force_flush`);
    const res = await fetch(`${url}/api/v1/export?${new URLSearchParams({ 'match[]': `{device="${deviceId}"}` })}`);
    const text = await res.text();
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Exported);
  }

  it('writes every field with ms timestamps and the device, domain and type tags', async () => {
    const ts = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    const readings: Reading[] = [
      { deviceId: 'v2-fridge', domain: 'healthcare', type: 'cold_chain', ts, receivedAt: ts + 40, seq: 9, values: { temp: 4.25, door_open: true } },
      { deviceId: 'v2-fridge', domain: 'healthcare', type: 'cold_chain', ts: ts + 1001, receivedAt: ts + 1050, values: { temp: 5 } },
    ];
    await store.write(readings);
    const series = await exported('v2-fridge');
    const byName = Object.fromEntries(series.map((s) => [s.metric.__name__, s]));
    expect(Object.keys(byName).sort()).toEqual(['readings_door_open', 'readings_received_at', 'readings_seq', 'readings_temp']);
    // No `db` label: victoria-metrics adds one for 1.x /write?db=, so this proves the /api/v2/write path was taken.
    expect(byName.readings_temp!.metric).toEqual({ __name__: 'readings_temp', device: 'v2-fridge', domain: 'healthcare', type: 'cold_chain' });
    expect(byName.readings_temp!.timestamps).toEqual([ts, ts + 1001]);
    expect(byName.readings_temp!.values).toEqual([4.25, 5]);
    expect(byName.readings_door_open!.values).toEqual([1]);
    expect(byName.readings_received_at!.values).toEqual([ts + 40, ts + 1050]);
    expect(byName.readings_seq!.values).toEqual([9]);
  });

  it('answers ping and writes a large batch in several requests', async () => {
    expect(await store.ping()).toBe(true);
    const ts = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
    const many: Reading[] = Array.from({ length: 12_000 }, (_, i) => ({
      deviceId: 'v2-bulk', domain: 'safety', type: 'noise', ts: ts + i, receivedAt: ts + i, values: { level: 40 + (i % 50) },
    }));
    await store.write(many);
    const level = (await exported('v2-bulk')).find((s) => s.metric.__name__ === 'readings_level');
    expect(level?.timestamps.length).toBe(12_000);
  });
});
