import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';

const UNIT = 'deploy/citysense.service';
const run = promisify(execFile);

/** The unit's `Key=value` settings (a key set twice keeps its last value). */
function settings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

describe('deploy/citysense.service', () => {
  const unit = readFileSync(UNIT, 'utf8');
  const s = settings(unit);

  it('passes systemd-analyze verify', async () => {
    const { stderr } = await run('systemd-analyze', ['verify', UNIT]).catch((err: Error & { stderr?: string }) => {
      throw new Error(`systemd-analyze verify failed (Debian package systemd): ${err.stderr ?? err.message}`);
    });
    expect(stderr).toBe('');
  });

  it('runs the built app with the settings file, a state directory, room for 1M connections and a stop longer than the app\'s', () => {
    expect(s.get('Type')).toBe('simple'); // the app does not speak sd_notify
    expect(s.get('ExecStart')).toMatch(/\bnode .*dist\/src\/app\/main\.js$/);
    expect(s.get('EnvironmentFile')).toBe('/etc/citysense/env');
    expect(s.get('User')).toBe('citysense');
    expect(s.get('StateDirectory')).toBe('citysense');
    expect(s.get('Environment')).toBe('DATA_DIR=/var/lib/citysense');
    expect(s.get('LimitNOFILE')).toBe('1048576');
    expect(s.get('Restart')).toBe('on-failure');
    expect(s.get('KillSignal')).toBe('SIGTERM');
    // main.ts exits by itself at the latest 10 s after SIGTERM; systemd must not kill it before.
    const main = readFileSync('src/app/main.ts', 'utf8');
    const hardStopMs = Number(/process\.exit\(1\);\s*\}, ([\d_]+)\);/.exec(main)?.[1]?.replace(/_/g, ''));
    expect(hardStopMs).toBeGreaterThan(0);
    expect(Number(/^(\d+)s$/.exec(s.get('TimeoutStopSec') ?? '')?.[1]) * 1000).toBeGreaterThan(hardStopMs);
  });
});
