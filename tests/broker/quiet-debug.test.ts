import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What `debug` is for mqtt-packet in a fresh process started with `env`. */
function debugSeenByMqttPacket(env: Record<string, string>): { file: string; parserEnabled: boolean; afterEnable: boolean } {
  const script = `
    const { createRequire } = require('node:module');
    const fromMqttPacket = createRequire(require.resolve('mqtt-packet'));
    const debug = fromMqttPacket('debug');
    const parserEnabled = debug('mqtt-packet:parser').enabled;
    debug('mqtt-packet:parser')('a call must not throw', 1, { a: 1 });
    debug.enable('mqtt-packet:*');
    const afterEnable = debug('mqtt-packet:parser').enabled;
    process.stdout.write(JSON.stringify({ file: fromMqttPacket.resolve('debug'), parserEnabled, afterEnable }));`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out.toString()) as { file: string; parserEnabled: boolean; afterEnable: boolean };
}

// package.json overrides mqtt-packet's `debug` with vendor/quiet-debug (BENCHMARKS.md: its calls cost 8-10% of the
// app's CPU at full rate). These check that the override is installed and does what vendor/quiet-debug says.
describe('mqtt-packet debug logging', () => {
  it('costs nothing without DEBUG: mqtt-packet gets no-op loggers that stay off', () => {
    const seen = debugSeenByMqttPacket({});
    expect(seen.file).toBe(`${ROOT}vendor/quiet-debug/index.js`);
    expect(seen).toMatchObject({ parserEnabled: false, afterEnable: false });
  });

  it('is the real debug package when DEBUG is set at start', () => {
    const seen = debugSeenByMqttPacket({ DEBUG: 'mqtt-packet:*' });
    expect(seen.parserEnabled).toBe(true);
    const other = debugSeenByMqttPacket({ DEBUG: 'something-else' });
    expect(other).toMatchObject({ parserEnabled: false, afterEnable: true });
  });
});
