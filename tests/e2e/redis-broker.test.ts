import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../fixtures/influxd.js';
import { eventually, startTestApp } from '../fixtures/app.js';
import { startPrivateRedis, type PrivateRedis } from '../fixtures/redis.js';

// REDIS_URL through the app: the broker shares its sessions through Redis, readings are stored as without it.
let redis: PrivateRedis;
beforeAll(async () => { redis = await startPrivateRedis(); }, 30_000);
afterAll(async () => { await redis.close(); });

describe('citysense with REDIS_URL', () => {
  it('stores a device reading as without Redis, and Redis carries none of it', async () => {
    const t = await startTestApp('sqlite', { REDIS_URL: redis.url });
    try {
      const s = await t.sensor('safety', 'gas');
      const monitor = await redis.monitor();
      await s.send({ co: 12, ch4: 3 });
      const points = await eventually(async () => {
        const body = (await t.api('GET', `/api/devices/${s.id}/readings?metric=co&from=-1h`)).body;
        return body.points?.length === 1 ? body.points : undefined;
      }, 'the reading stored');
      await monitor.stop();
      expect(points[0].v).toBe(12);
      expect(monitor.lines.filter((l) => l.includes(s.topic))).toEqual([]);
      // The device's presence is shared: its retained `online` is in Redis.
      const db = new Redis(redis.url);
      try {
        expect(await db.hexists('retained', `${s.topic}/status`)).toBe(1);
      } finally {
        db.disconnect();
      }
    } finally {
      await t.close();
    }
  }, 60_000);

  it('stops at start-up when Redis cannot be reached, naming REDIS_URL and not its password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'citysense-noredis-'));
    const port = await freePort(); // nothing listens there
    try {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const env = { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', HTTP_PORT: '0', MQTT_PORT: '0', DATA_DIR: dir, REDIS_URL: `redis://:hunter2@127.0.0.1:${port}` };
        const proc = spawn(process.execPath, ['dist/src/app/main.js'], { env });
        let stderr = '';
        proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        proc.on('exit', (code) => resolve({ code, stderr }));
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^citysense: configuration error: REDIS_URL: cannot connect to Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}.*ECONNREFUSED`, 'm'));
      expect(r.stderr).not.toMatch(/hunter2/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
