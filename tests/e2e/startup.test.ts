import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildApp } from '../fixtures/child-app.js';

/** Runs the built app until it exits by itself; returns its exit code and output. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['dist/src/app/main.js'], { env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', HTTP_PORT: '0', MQTT_PORT: '0', ...env } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('start-up and shutdown of the built app', () => {
  it.each([
    ['MQTT_PORT', 'eighteen'],
    ['INFLUX_URL', 'influx:8086'],
    ['SPOOL_MAX_MB', 'lots'],
  ])('stops at start-up on a malformed %s, naming it', async (variable, value) => {
    const dir = mkdtempSync(join(tmpdir(), 'citysense-badconf-'));
    try {
      const r = await runToExit({ DATA_DIR: dir, [variable]: value });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`configuration error: ${variable}:`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops at start-up naming the port in use, or a HOST it cannot listen on, without a stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'citysense-badlisten-'));
    try {
      for (const [variable, env, message] of [
        ['MQTT_PORT', { MQTT_PORT: String(port) }, `cannot listen on 127.0.0.1:${port} \\(already in use\\)`],
        ['HTTP_PORT', { HTTP_PORT: String(port) }, `cannot listen on 127.0.0.1:${port} \\(already in use\\)`],
        ['HOST', { HOST: 'no-such-host.invalid' }, 'cannot listen on no-such-host.invalid'], // .invalid never resolves (RFC 2606)
      ] as const) {
        const r = await runToExit({ DATA_DIR: dir, ...env });
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`^citysense: configuration error: ${variable}: ${message}`, 'm'));
        expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      }
    } finally {
      taken.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops at start-up on a CATALOG_FILE whose content is not a valid catalog, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'citysense-badcat-'));
    try {
      const file = join(dir, 'catalog.json');
      writeFileSync(file, JSON.stringify({ mode: 'extend', types: [{ domain: 'safety', type: 'door', interval: '1m', metrics: { door_open: {} } }] }));
      const r = await runToExit({ DATA_DIR: dir, CATALOG_FILE: file });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/configuration error: CATALOG_FILE: .*metric "door_open" is boolean in healthcare\/cold_chain but number in safety\/door/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints a generated admin token once, on first start, and it works; SIGTERM exits 0 within 10 s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'citysense-first-'));
    try {
      const first = await startChildApp({ DATA_DIR: dir });
      const line = first.lines.find((l) => typeof l === 'string' && l.includes('Admin API token')) as string | undefined;
      const token = /: (\S+)$/.exec(line ?? '')?.[1];
      expect(token).toBeDefined();
      const ok = await fetch(`${first.httpUrl}/api/stats`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      const t0 = Date.now();
      first.proc.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(10_000);

      const second = await startChildApp({ DATA_DIR: dir });
      expect(second.lines.some((l) => typeof l === 'string' && l.includes('Admin API token'))).toBe(false);
      expect((await fetch(`${second.httpUrl}/api/stats`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      second.proc.kill('SIGINT');
      expect(await second.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('accepts ADMIN_TOKEN and then generates none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'citysense-admin-'));
    const token = randomBytes(20).toString('hex');
    try {
      const app = await startChildApp({ DATA_DIR: dir, ADMIN_TOKEN: token });
      expect(app.lines.some((l) => typeof l === 'string' && l.includes('Admin API token'))).toBe(false);
      expect((await fetch(`${app.httpUrl}/api/tokens`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      app.proc.kill('SIGTERM');
      expect(await app.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
