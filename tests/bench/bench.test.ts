import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testInfluxUrl } from '../fixtures/influxd.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs `bench/run.ts` (what `npm run bench` runs after building) and resolves with its stdout, stderr and exit code;
 * `nofile` runs it under that open-file limit (util-linux `prlimit`; lowering a limit needs no privilege).
 */
function runBench(args: string[], nofile?: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const argv = [process.execPath, '--import', 'tsx', join(ROOT, 'bench', 'run.ts'), ...args];
    const [cmd, ...rest] = nofile ? ['prlimit', `--nofile=${nofile}:${nofile}`, ...argv] : argv;
    const proc = spawn(cmd!, rest, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.once('error', reject);
    proc.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;

// The benchmark itself works: a reduced run prints the table and, as its last line, the JSON with every figure.
// No speed is asserted here (DESIGN.md, Tests): speed lives in `npm run bench`.
describe('npm run bench', () => {
  it('prints a table and one JSON object with every figure as its last line', async () => {
    expect(existsSync(join(ROOT, 'dist', 'src', 'app', 'main.js'))).toBe(true); // npm run test:all builds first
    const { code, stdout, stderr } = await runBench(['--quick', '--influx-url', testInfluxUrl()]);
    if (code !== 0) throw new Error(`bench exited with ${code}:\n${stderr.slice(-3000)}`);

    const lines = stdout.trim().split('\n');
    const r = JSON.parse(lines.at(-1)!);
    expect(stdout).toContain('end to end InfluxDB');
    expect(stdout).toContain('ratios to the same run');

    for (const store of ['influxdb', 'sqlite']) {
      expect(positive(r.readingsPerSecond[store])).toBe(true);
      expect(positive(r.reference.rawStorePerSecond[store])).toBe(true);
      expect(positive(r.ratio[store])).toBe(true);
      // Stored and counted in the store: every acknowledged reading is there.
      expect(r.details.endToEnd[store].counted).toBe(r.details.endToEnd[store].readings);
    }
    expect(positive(r.reference.bareBrokerPerSecond)).toBe(true);
    expect(r.ratio.influxdb).toBeCloseTo(r.readingsPerSecond.influxdb / Math.min(r.reference.bareBrokerPerSecond, r.reference.rawStorePerSecond.influxdb), 2);
    expect(positive(r.alertLatencyMs.p50)).toBe(true);
    expect(r.alertLatencyMs.p99).toBeGreaterThanOrEqual(r.alertLatencyMs.p50);
    expect(r.alertLatencyMs.samples).toBeGreaterThan(0);
    // Publish → the fired webhook received, in the same run and under the same load.
    expect(positive(r.webhookLatencyMs.p50)).toBe(true);
    expect(r.webhookLatencyMs.p99).toBeGreaterThanOrEqual(r.webhookLatencyMs.p50);
    expect(r.webhookLatencyMs.samples).toBeGreaterThan(0);
    expect(r.webhookLatencyMs.loadPerSecond).toBe(r.alertLatencyMs.loadPerSecond);
    expect(positive(r.alertLatencyMs.loop.appCpuShare)).toBe(true);
    // Every probe reading is committed, so the alert phase has commits, each of at least one reading.
    expect(positive(r.alertLatencyMs.loop.commitsPerSecond)).toBe(true);
    expect(r.alertLatencyMs.loop.readingsPerCommit).toBeGreaterThanOrEqual(1);
    for (const store of ['influxdb', 'sqlite']) {
      expect(r.details.endToEnd[store].gcMsPerSecond).toBeGreaterThanOrEqual(0);
      expect(r.details.endToEnd[store].gcPausesPerSecond).toBeGreaterThanOrEqual(0);
    }
    expect(positive(r.connections.devices)).toBe(true);
    expect(r.connections.devices).toBe(r.connections.target);
    expect(positive(r.connections.rssMb)).toBe(true);
    expect([r.devices, r.rssMb]).toEqual([r.connections.devices, r.connections.rssMb]);
    expect(r.machine).toMatchObject({ cores: expect.any(Number), node: process.version });
    expect(positive(r.loadGenerator.cpuShare)).toBe(true);
  }, 120_000);

  // The city phase (CONTRACT.md section 12) at a reduced size: 600 devices asked for under an open-file limit that
  // lets one process hold 504 connections (1000 kept aside), so 500 authenticated devices (and 4 probes) run, from 2
  // generator processes and 3 loopback source addresses, open loop, the probe's alerts among them; then kill -9, a
  // restart and every device back.
  it('--phases city holds the fleet the open-file limit allows, measures PUBACK and alert latency, and has every device back after kill -9', async () => {
    const { code, stdout, stderr } = await runBench(
      ['--phases', 'city', '--city-devices', '600', '--city-duration', '10', '--city-warmup', '2', '--city-per-source', '200', '--city-per-process', '250', '--influx-url', testInfluxUrl()],
      1504,
    );
    if (code !== 0) throw new Error(`bench exited with ${code}:\n${stderr.slice(-3000)}`);
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(stdout).toContain('city: PUBACK p50 / p99');
    expect(stdout).toContain('city: all back after kill -9 and restart');
    const c = r.city;
    expect([c.devices, c.target, c.store]).toEqual([500, 600, 'influxdb']);
    expect(c.limitedBy).toContain('open-file limit (nofile) 1504');
    expect(stderr).toContain('the city runs with 500 devices, not 600');
    expect(stdout).toContain('LIMITED by the open-file limit');
    expect(c.loadGenerator.sources).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    expect(c.offeredPerSecond).toBe(50);
    expect(positive(c.connectS)).toBe(true);
    // What bounded the logins: the app's, the generators' and the other processes' CPU while connecting and reconnecting.
    expect(positive(c.connectCpu.app)).toBe(true);
    expect(positive(c.reconnect.cpu.app)).toBe(true);
    expect(c.reconnect.cpu.other).toBeGreaterThanOrEqual(0);
    expect(positive(c.rssMb)).toBe(true);
    expect(c.rssMb).toBeGreaterThanOrEqual(c.rssConnectedMb);
    // Open loop: the fleet published, the app acknowledged, the store took them (stored and counted by the app).
    expect(c.pubackMs.samples).toBeGreaterThan(0);
    expect(positive(c.pubackMs.p50)).toBe(true);
    expect(c.pubackMs.p99).toBeGreaterThanOrEqual(c.pubackMs.p50);
    expect(positive(c.ackedPerSecond)).toBe(true);
    expect(positive(c.readingsPerSecond)).toBe(true);
    expect(c.alertLatencyMs.samples).toBeGreaterThan(0);
    expect(c.alertLatencyMs.p99).toBeGreaterThanOrEqual(c.alertLatencyMs.p50);
    // After kill -9 the app came back on the same port and every device logged in again.
    expect(c.reconnect.devices).toBe(500);
    expect(c.reconnect.seconds).toBeGreaterThanOrEqual(c.reconnect.appUpS);
    expect(c.met.reconnect).toBe(c.reconnect.seconds <= 60);
    expect(positive(c.loadGenerator.cpuShare)).toBe(true);
    expect(positive(c.loadGenerator.rssMb)).toBe(true);
    expect(c.loadGenerator.dropped).toBe(0);
    expect(c.app.nofile).toBe(1504);
    expect(c.loadGenerator.processes).toBe(2);
    // 500 is not a city: the figures say so rather than claim the targets.
    expect(c.met.devices).toBe(false);
    expect(c.targets).toEqual({ devices: 100_000, readingsPerSecond: 10_000, rssMb: 4096, pubackP99Ms: 20, alertP99Ms: 10, reconnectS: 60 });
  }, 180_000);
});
