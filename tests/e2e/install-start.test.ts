// Building once at install, starting the built app, and the `citysense` command's version: as a user runs them.
import { describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = process.cwd();
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const check = (root: string) => spawnSync(process.execPath, ['scripts/ensure-built.mjs', '--check', '--root', root], { encoding: 'utf8' });

describe('install, start and version', () => {
  it('prints package.json\'s version for `citysense --version` and `-V`, exit 0', () => {
    for (const flag of ['--version', '-V']) {
      const r = spawnSync(process.execPath, ['bin/citysense.js', flag], { encoding: 'utf8' });
      expect({ flag, status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ flag, status: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('tells a build that is missing from one that is older than the sources and from an up-to-date one', () => {
    const root = mkdtempSync(join(tmpdir(), 'citysense-ensure-built-'));
    try {
      mkdirSync(join(root, 'src', 'core'), { recursive: true });
      writeFileSync(join(root, 'src', 'core', 'a.ts'), 'export {};\n');
      writeFileSync(join(root, 'package.json'), '{}\n');
      expect([check(root).stdout, check(root).status]).toEqual(['missing\n', 1]);
      expect(spawnSync(process.execPath, ['scripts/ensure-built.mjs', '--stamp', '--root', root]).status).toBe(0);
      expect([check(root).stdout, check(root).status]).toEqual(['fresh\n', 0]);
      // Times set by hand, so that no two of them can fall in the same clock tick.
      const at = (path: string, offsetMs: number) => utimesSync(join(root, path), new Date(Date.now() + offsetMs), new Date(Date.now() + offsetMs));
      for (const p of ['src/core/a.ts', 'src/core', 'src', 'package.json']) at(p, -180_000);
      at('dist/.build-stamp', -120_000);
      expect(check(root).stdout).toBe('fresh\n');
      at('src/core/a.ts', -60_000); // edited after the build (a pull, an edit)
      expect([check(root).stdout, check(root).status]).toEqual(['stale\n', 1]);
      at('src/core/a.ts', -180_000);
      writeFileSync(join(root, 'src', 'core', 'b.ts'), 'export {};\n'); // a file added
      expect(check(root).stdout).toBe('stale\n');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('`npm start` starts the built app without building it again when dist/ is up to date', async () => {
    // The test run builds first (npm run build, as test:all does), so dist/ is up to date here.
    expect(check(ROOT).stdout).toBe('fresh\n');
    const dir = mkdtempSync(join(tmpdir(), 'citysense-npm-start-'));
    const env = { ...process.env, DATA_DIR: dir, HOST: '127.0.0.1', HTTP_PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'info' };
    const npm = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const output: string[] = [];
    npm.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    const exited = new Promise<number | string>((resolve) => npm.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    try {
      const started = await new Promise<{ httpPort: number }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`npm start did not start the app: ${output.join('')}`)), 120_000);
        void exited.then((code) => { clearTimeout(timer); reject(new Error(`npm start exited with ${code}: ${output.join('')}`)); });
        createInterface({ input: npm.stdout }).on('line', (line) => {
          output.push(`${line}\n`);
          try {
            const entry = JSON.parse(line) as { msg?: string; httpPort?: number };
            if (entry.msg === 'citysense started') { clearTimeout(timer); resolve({ httpPort: entry.httpPort! }); }
          } catch { /* npm's own lines */ }
        });
      });
      expect((await fetch(`http://127.0.0.1:${started.httpPort}/healthz`)).status).toBe(200);
      const text = output.join('');
      expect(text).toContain('> node scripts/ensure-built.mjs'); // prestart ran, and it built nothing
      expect(text).not.toMatch(/> citysense@[^\n]* build\b|building|> tsc /);
    } finally {
      process.kill(-npm.pid!, 'SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
