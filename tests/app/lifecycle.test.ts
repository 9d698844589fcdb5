// The composition root starts its parts in order and stops them in reverse, in two passes (drain, then stop); a
// part that fails to stop does not keep the others (the stores) open; a start that fails releases what it started.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCitysense } from '../../src/app/index.js';
import { startParts, stopParts, type Part } from '../../src/app/lifecycle.js';
import { ConfigError, createLogger, loadConfig } from '../../src/core/index.js';
import { freePort } from '../fixtures/influxd.js';

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

function recording(names: string[], calls: string[], failing: Partial<Record<string, 'start' | 'drain' | 'stop'>> = {}): Part[] {
  const step = (name: string, what: 'start' | 'drain' | 'stop') => {
    calls.push(`${what} ${name}`);
    if (failing[name] === what) throw new Error(`${name} cannot ${what}`);
  };
  return names.map((name) => ({
    name,
    start: async () => step(name, 'start'),
    ...(name !== 'timer' ? { drain: async () => step(name, 'drain') } : {}),
    stop: async () => step(name, 'stop'),
  }));
}

describe('parts of the app', () => {
  it('start in order, drain in reverse, then stop in reverse', async () => {
    const calls: string[] = [];
    const parts = recording(['stores', 'ingest', 'broker', 'timer'], calls);
    await startParts(parts, log);
    await stopParts(parts, Date.now() + 1000, log);
    expect(calls).toEqual([
      'start stores', 'start ingest', 'start broker', 'start timer',
      'drain broker', 'drain ingest', 'drain stores',
      'stop timer', 'stop broker', 'stop ingest', 'stop stores',
    ]);
  });

  it('go on stopping past a part that fails, and then say what failed', async () => {
    const calls: string[] = [];
    const parts = recording(['stores', 'ingest', 'broker'], calls, { broker: 'stop', ingest: 'drain' });
    await startParts(parts, log);
    await expect(stopParts(parts, Date.now() + 1000, log)).rejects.toThrow('ingest cannot drain');
    expect(calls.slice(3)).toEqual(['drain broker', 'drain ingest', 'drain stores', 'stop broker', 'stop ingest', 'stop stores']);
  });

  it('stop what started when a later part cannot start, and throw its error', async () => {
    const calls: string[] = [];
    const parts = recording(['stores', 'ingest', 'broker', 'timer'], calls, { broker: 'start' });
    await expect(startParts(parts, log)).rejects.toThrow('broker cannot start');
    expect(calls).toEqual(['start stores', 'start ingest', 'start broker', 'drain ingest', 'drain stores', 'stop ingest', 'stop stores']);
  });
});

describe('a citysense whose start fails', () => {
  it('releases what it had started: its MQTT port listens no more, its data directory opens again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'citysense-failed-start-'));
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const httpPort = (blocker.address() as { port: number }).port;
    const mqttPort = await freePort();
    const env = { HOST: '127.0.0.1', MQTT_PORT: String(mqttPort), DATA_DIR: dir, ADMIN_TOKEN: 'a'.repeat(32), LOG_LEVEL: 'silent' };
    try {
      const app = createCitysense(loadConfig({ ...env, HTTP_PORT: String(httpPort) }, dir), log);
      const failed = await app.start().catch((err: unknown) => err);
      expect(failed).toBeInstanceOf(ConfigError);
      expect((failed as ConfigError).message).toMatch(/HTTP_PORT/);
      // The broker had listened before the HTTP server failed: its port is free again.
      const probe = createServer();
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(mqttPort, '127.0.0.1', resolve);
      });
      await new Promise((resolve) => probe.close(resolve));
      // And the stores were closed: another instance starts on the same data directory and stops cleanly.
      const again = createCitysense(loadConfig({ ...env, HTTP_PORT: '0' }, dir), log);
      await again.start();
      await again.stop(3000);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
