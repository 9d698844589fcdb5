// `npm run demo` without a terminal (as under a service manager or a CI log): it says when the fleet is provisioned,
// each incident as it starts and ends, and the alert count, and stops cleanly on Ctrl-C even when npm forwards it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Demo {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, what: string, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/** Starts the demo from source on free ports with its own data directory, stdout and stderr piped (no TTY). */
function startDemo(dataDir: string, args: string[]): Demo {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/app/demo.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOST: '127.0.0.1', HTTP_PORT: '0', MQTT_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
  });
  let out = '';
  const waiters = new Set<() => void>();
  const take = (b: Buffer) => {
    out += b.toString();
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => out,
    waitFor(pattern, what, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (!m) return;
          done();
          resolve(m);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${what}; the demo said:\n${out}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

describe('npm run demo without a terminal', () => {
  let dir: string;
  let scenario: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-demo-'));
    scenario = join(dir, 'leak.json');
    writeFileSync(scenario, JSON.stringify({
      name: 'short-leak',
      events: [{
        name: 'test leak', at: '4s', duration: '8s', select: { type: 'gas', near: 'Xixia', count: 2 },
        effects: [{ metric: 'co', set: 300 }],
      }],
    }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says when provisioning is done, each incident as it starts and ends, and the alert count', async () => {
    const demo = startDemo(join(dir, 'a'), ['--devices', '24', '--rate', '40', '--scenario', scenario, '--status-every', '2s']);
    try {
      await demo.waitFor(/provisioned 24 devices in [\d.]+ s/, 'the end of provisioning');
      await demo.waitFor(/24 devices connected to mqtt:\/\/127\.0\.0\.1:\d+; publishing about 40\.0 msg\/s \(scenario short-leak\)/, 'the fleet connected');
      const started = await demo.waitFor(/incident started: test leak at \d+ s \(2 devices: (sim-gas-\d+), (sim-gas-\d+)\)/, 'the incident starting');
      await demo.waitFor(/incident ended: test leak at \d+ s \(2 devices/, 'the incident ending', 30_000);
      // The two detectors' carbon monoxide alerts are counted (on the incident's end, or by the periodic line).
      await demo.waitFor(/: [1-9]\d* alerts? active; 24 devices connected, \d+ readings accepted/, 'an alert count of at least 1');
      const lines = demo.output().split('\n');
      const order = ['provisioned 24 devices', 'devices connected', 'incident started: test leak', 'incident ended: test leak']
        .map((s) => lines.findIndex((l) => l.includes(s)));
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(started[1]).not.toBe(started[2]);

      // One Ctrl-C under npm arrives twice (from the terminal, and forwarded by npm): still a clean stop.
      demo.child.kill('SIGINT');
      setTimeout(() => demo.child.kill('SIGINT'), 30);
      expect(await demo.exited).toBe(0);
      expect(demo.output()).toMatch(/24 devices for [\d.]+ s \(scenario short-leak, seed demo, QoS 1\)/);
    } finally {
      demo.child.kill('SIGKILL');
    }
  }, 120_000);
});
