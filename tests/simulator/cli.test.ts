import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';
import { runCli } from '../fixtures/cli.js';

const cli = runCli;

describe('citysense simulate / replay (CLI)', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'citysense-cli-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('simulates with provisioning and a recording, then replays it with the credentials it wrote', async () => {
    const rec = join(dir, 'run.jsonl');
    const creds = join(dir, 'fleet.json');
    const sim = await cli([
      'simulate', '--mqtt', t.mqttUrl, '--devices', '12', '--rate', '20', '--duration', '2s', '--seed', '9',
      '--scenario', 'gas-leak', '--record', rec, '--provision', t.httpUrl, '--token', t.adminToken, '--credentials', creds, '--qos', '1',
    ]);
    expect(sim.stderr).toMatch(/provisioning 12 devices/);
    expect(sim.code).toBe(0);
    expect(sim.stdout).toMatch(/12 devices for 2\.\d s \(scenario gas-leak, seed 9, QoS 1\)/);
    expect(sim.stdout).toMatch(/sent 40 {2}acknowledged 40 {2}refused 0/);
    expect(sim.stdout).toMatch(/rate (19\.\d|20\.\d) msg\/s \(target 20\.0\)/);
    expect(existsSync(creds)).toBe(true);
    expect(readFileSync(rec, 'utf8').trim().split('\n')).toHaveLength(41);
    // The summary says where the files went (absolute paths).
    expect(sim.stdout).toContain(`recording written to ${rec}`);
    expect(sim.stdout).toContain(`credentials of the 12 devices written to ${creds}`);

    const replay = await cli(['replay', rec, '--mqtt', t.mqttUrl, '--credentials', creds, '--speed', '2']);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/sent 40 {2}acknowledged 40 {2}refused 0/);
  }, 60_000);

  it('ends cleanly on one Ctrl-C that arrives twice (npx forwards it): summary, exit 0, every device offline', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/app/cli.ts',
      'simulate', '--mqtt', t.mqttUrl, '--devices', '6', '--rate', '12', '--seed', 'ctrl-c', '--provision', t.httpUrl, '--token', t.adminToken,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let echoed = false;
    child.stdout.on('data', (b) => (stdout += b));
    const connected = new Promise<void>((resolve) => child.stderr.on('data', (b) => {
      stderr += b;
      if (stderr.includes('devices connected')) resolve();
      // The echo the moment the first is taken (as npm forwards it, ms later): a separate delivery, never seconds late.
      if (!echoed && stderr.includes('stopping (Ctrl-C again')) {
        echoed = true;
        try {
          process.kill(child.pid!, 'SIGINT');
        } catch {
          // already gone: nothing left to kill
        }
      }
    }));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await connected;
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(echoed).toBe(true);
    expect(stdout).toMatch(/^6 devices for [\d.]+ s/);
    // The broker sees the last connections close a moment after the process is gone.
    await eventually(async () => {
      const items = (await t.api('GET', '/api/devices?limit=1000')).body.items as Array<{ id: string; status: string }>;
      const mine = items.filter((d) => d.id.startsWith('sim-'));
      return mine.length >= 6 && mine.every((d) => d.status === 'offline');
    }, 'every device of the run offline');
  }, 60_000);

  it('exits 1 when it cannot connect', async () => {
    const r = await cli(['simulate', '--mqtt', 'mqtt://127.0.0.1:1', '--devices', '2', '--duration', '1s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot connect to mqtt:\/\/127\.0\.0\.1:1/);
  }, 30_000);

  it('exits 1 when it cannot provision (the API unreachable)', async () => {
    const r = await cli(['simulate', '--mqtt', 'mqtt://127.0.0.1:1', '--provision', 'http://127.0.0.1:1', '--token', 'x'.repeat(20)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the API at http:\/\/127\.0\.0\.1:1/);
  }, 30_000);

  it('exits 2 on a usage error (unknown scenario, bad or missing option, unknown command), 0 on --help', async () => {
    const mqttUrl = ['--mqtt', 'mqtt://127.0.0.1:1'];
    const cases: Array<[string[], number, RegExp]> = [
      [['simulate', ...mqttUrl, '--scenario', 'earthquake'], 2, /no built-in scenario or file named "earthquake"/],
      [['simulate', ...mqttUrl, '--devices', '0'], 2, /--devices/],
      [['simulate', ...mqttUrl, '--rate', '-3'], 2, /--rate/],
      [['simulate', ...mqttUrl, '--duration', 'banana'], 2, /--duration/],
      [['simulate', ...mqttUrl, '--qos', '2'], 2, /--qos/],
      [['simulate', ...mqttUrl, '--bogus'], 2, /unknown option '--bogus'/],
      [['simulate', '--devices', '2'], 2, /required option '--mqtt <url>'/],
      [['simulate', ...mqttUrl, '--provision', 'http://127.0.0.1:1'], 2, /--provision needs --token/],
      [['replay', 'run.jsonl', ...mqttUrl, '--speed', '0'], 2, /--speed/],
      [['bogus'], 2, /unknown command 'bogus'/],
      [['simulate', '--help'], 0, /^$/], // help is no error
    ];
    // In parallel: each is a Node start-up, and none reaches the network.
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    results.forEach((r, i) => {
      const [args, code, stderr] = cases[i]!;
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr).toMatch(stderr);
    });
  }, 120_000); // eleven Node start-ups at once: 17 s on a quiet 2-core machine, over 30 s on a loaded one

  it('exits 2 when --mqtt is not an mqtt://, mqtts://, ws:// or wss:// URL, saying so, before registering anything', async () => {
    const before = (await t.api('GET', '/api/devices?limit=1000')).body.items.length;
    const port = new URL(t.mqttUrl).port;
    const provision = ['--provision', t.httpUrl, '--token', t.adminToken];
    const results = await Promise.all([
      cli(['simulate', '--mqtt', `127.0.0.1:${port}`, '--devices', '2', '--duration', '1s', ...provision]),
      cli(['simulate', '--mqtt', `http://127.0.0.1:${port}`, '--devices', '2', '--duration', '1s', ...provision]),
      cli(['replay', 'run.jsonl', '--mqtt', `localhost:${port}`]),
    ]);
    for (const r of results) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('the broker URL needs mqtt://, mqtts://, ws:// or wss://');
      expect(r.stderr).toContain(`(e.g. mqtt://`);
      expect(r.stderr).not.toMatch(/Invalid header flag bits|provisioning/);
    }
    expect((await t.api('GET', '/api/devices?limit=1000')).body.items.length).toBe(before);
  }, 30_000);

  it('refuses to replay a file that is not a recording', async () => {
    const r = await cli(['replay', 'package.json', '--mqtt', 'mqtt://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a citysense recording/);
  }, 30_000);
});
