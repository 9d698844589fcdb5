import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { reportOpenFileLimit } from '../../src/app/open-files.js';

const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;

interface LogLine { level?: number; msg?: string; nofileSoft?: number; nofileHard?: number; maxConnections?: number }

/**
 * Runs `command` (a shell command line, as npm runs a script) under `prlimit --nofile=soft:hard` until the app
 * logs its open-file limit; returns that line. The built app is needed (`npm run build`).
 */
function limitLine(command: string, nofile: string, dataDir: string, children: ChildProcess[]): Promise<LogLine> {
  const proc = spawn('prlimit', [`--nofile=${nofile}`, 'sh', '-c', command], {
    env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOST: '127.0.0.1', HTTP_PORT: '0', MQTT_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: the shell and the node it runs are stopped together
  });
  children.push(proc);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no open-file limit line within 30 s: ${stderr}`)), 30_000);
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${code}: ${stderr}`)); });
    createInterface({ input: proc.stdout! }).on('line', (text) => {
      let line: LogLine;
      try { line = JSON.parse(text) as LogLine; } catch { return; }
      if (line.msg?.startsWith('open-file limit')) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
}

describe('the open-file limit (nofile) at start', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'citysense-nofile-'));
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    for (const p of children.splice(0)) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      const exited = new Promise((r) => p.once('exit', r));
      process.kill(-p.pid!, 'SIGTERM');
      await exited;
    }
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('npm start warns when the limit is low, naming it and the connections it allows', async () => {
    const line = await limitLine(scripts.start!, '256:256', dataDir(), children);
    expect(line.level).toBe(40);
    expect(line.msg).toMatch(/open-file limit \(nofile\) is 256: about \d+ device connections at most/);
    expect(line.msg).toMatch(/raise the hard limit/);
    expect(line).toMatchObject({ nofileSoft: 256, nofileHard: 256 });
    expect(line.maxConnections).toBeGreaterThan(0);
    expect(line.maxConnections).toBeLessThan(256);
    expect(line.msg).toContain(`about ${line.maxConnections} device connections`);
  }, 60_000);

  it('npm start runs with the soft limit raised to the hard one (Node does it as it starts), and names the hard limit to raise', async () => {
    const line = await limitLine(scripts.start!, '256:4096', dataDir(), children);
    expect(line.level).toBe(40); // 4096 holds far fewer than a city's devices
    expect(line).toMatchObject({ nofileSoft: 4096, nofileHard: 4096 });
    expect(line.msg).toMatch(/open-file limit \(nofile\) is 4096: .*raise the hard limit/);
  }, 60_000);

  it('logs the limit at info when it holds a city, and counts the descriptors already open', () => {
    const lines: LogLine[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
    reportOpenFileLimit(log, { soft: 1_048_576, hard: 1_048_576, inUse: 36 });
    reportOpenFileLimit(log, { soft: 1024, hard: 1_048_576, inUse: 36 });
    expect(lines).toMatchObject([
      { level: 30, msg: 'open-file limit (nofile) 1048576: room for about 1048476 device connections', nofileSoft: 1_048_576, maxConnections: 1_048_476 },
      { level: 40, msg: expect.stringMatching(/^open-file limit \(nofile\) is 1024: about 924 device connections at most .*below the hard limit 1048576/), maxConnections: 924 },
    ]);
  });
});
