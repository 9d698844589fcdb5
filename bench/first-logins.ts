/**
 * First logins per second: `npx tsx bench/first-logins.ts [--devices 2000] [--concurrency 64] [--legacy]`.
 *
 * Registers the devices straight in a fresh DATA_DIR, starts the built app (`npm run build` first) as `npm start`
 * runs it, connects every device once (raw CONNECT packets from the load generator, `--concurrency` in flight),
 * then drops them all and connects them again (a reconnect storm). Prints one JSON line. `--legacy` stores the
 * secrets as the scrypt hashes of earlier versions (upgraded to the keyed form on their first good login).
 * `--app-root DIR` runs another checkout's build (before/after on the same machine).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seedDevices, startApp } from './app.js';
import { spawnChild } from './children.js';
import type { LoadCmd, LoadEvent } from './protocol.js';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '64' },
    legacy: { type: 'boolean', default: false },
    'app-root': { type: 'string' },
  },
});
const devices = Number(args.devices);
const concurrency = Number(args.concurrency);
const SECRET = randomBytes(24).toString('base64url');

const dataDir = mkdtempSync(join(tmpdir(), 'citysense-logins-'));
await seedDevices(dataDir, [{ prefix: 'login', count: devices }], SECRET, { legacy: args.legacy });
const app = await startApp({ dataDir, adminToken: randomBytes(24).toString('hex'), appRoot: args['app-root'] });
const lg = spawnChild<LoadCmd, LoadEvent>('loadgen.ts');
lg.on('progress', () => undefined);
try {
  lg.send({ cmd: 'connect', host: '127.0.0.1', port: app.mqttPort, prefix: 'login', from: 0, count: devices, password: SECRET, keepaliveS: 60, concurrency, timeoutMs: 600_000, t0: Date.now() });
  const first = await lg.next('connected');
  lg.send({ cmd: 'reconnect', host: '127.0.0.1', port: app.mqttPort, password: SECRET, keepaliveS: 60, concurrency, timeoutMs: 600_000 });
  const again = await lg.next('connected');
  const perSecond = (r: typeof first) => Math.round(r.connected / (r.elapsedMs / 1000));
  process.stdout.write(`${JSON.stringify({
    devices, concurrency, legacy: args.legacy,
    first: { connected: first.connected, refusedOrFailed: first.refused + first.failed, seconds: +(first.elapsedMs / 1000).toFixed(2), perSecond: perSecond(first) },
    reconnect: { connected: again.connected, refusedOrFailed: again.refused + again.failed, seconds: +(again.elapsedMs / 1000).toFixed(2), perSecond: perSecond(again) },
    ...(first.firstError ?? again.firstError ? { firstError: first.firstError ?? again.firstError } : {}),
  })}\n`);
} finally {
  lg.send({ cmd: 'close' });
  await Promise.race([lg.exited, new Promise((r) => setTimeout(r, 5000))]);
  await lg.kill();
  await app.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
