/** The connection ramp: devices added in steps, each publishing every few seconds, then all dropped and reconnected. */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnChild } from '../children.js';
import { SECRET, round, stopLoadGen, withApp } from '../common.js';
import type { BenchOptions } from '../options.js';
import type { LoadCmd, LoadEvent } from '../protocol.js';
import type { Connections } from '../results.js';

/** Ramps to `o.connections` devices (SQLite store), holds them, then a reconnect storm. */
export async function connections(o: BenchOptions, t0: number): Promise<Connections> {
  return withApp(o, 'sqlite', undefined, [{ prefix: 'conn', count: o.connections }], async (app) => {
    const lg = spawnChild<LoadCmd, LoadEvent>('loadgen.ts');
    lg.on('progress', () => undefined);
    const steps: Connections['steps'] = [];
    let connected = 0;
    let loginMs = 0;
    let failure: string | undefined;
    try {
      lg.send({ cmd: 'interval', intervalMs: o.publishIntervalS * 1000, ackTimeoutMs: 10_000 });
      const check = async (): Promise<string | undefined> => {
        lg.send({ cmd: 'status' });
        const s = await lg.next('status');
        if (s.dropped) return `${s.dropped} connections dropped`;
        if (s.timeouts) return `${s.timeouts} PUBACKs later than 10 s`;
        return undefined;
      };
      while (connected < o.connections && !failure) {
        const count = Math.min(o.connectionStep, o.connections - connected);
        lg.send({ cmd: 'connect', host: '127.0.0.1', port: app.mqttPort, prefix: 'conn', from: connected, count, password: SECRET, keepaliveS: 60, concurrency: 16, timeoutMs: 60_000, t0 });
        const r = await lg.next('connected');
        connected += r.connected;
        loginMs += r.elapsedMs;
        if (r.refused || r.failed) failure = `${r.refused} refused, ${r.failed} failed at ${connected + r.refused + r.failed} devices: ${r.firstError}`;
        failure ??= await check();
        if (!failure) steps.push({ devices: connected, rssMb: round(app.rssMb(), 1) });
        o.log(`  ${connected} devices connected, app RSS ${round(app.rssMb())} MB${failure ? ` — ${failure}` : ''}`);
      }
      let rssMb = steps.at(-1)?.rssMb ?? 0;
      if (!failure) {
        // Hold: every device publishes at least once more; RSS is taken at the end, all connections live.
        const holdUntil = performance.now() + o.connectionHoldS * 1000;
        while (performance.now() < holdUntil && !failure) {
          await sleep(Math.min(2000, holdUntil - performance.now()));
          failure = await check();
          rssMb = Math.max(rssMb, round(app.rssMb(), 1));
        }
        if (failure) steps.pop();
        else steps[steps.length - 1] = { devices: connected, rssMb };
      }
      let reconnect: Connections['reconnect'];
      if (!failure && connected > 0) {
        lg.send({ cmd: 'reconnect', host: '127.0.0.1', port: app.mqttPort, password: SECRET, keepaliveS: 60, concurrency: 64, timeoutMs: 120_000 });
        const r = await lg.next('connected');
        reconnect = { devices: r.connected, seconds: round(r.elapsedMs / 1000, 2), refusedOrFailed: r.refused + r.failed };
        o.log(`  reconnect storm: ${r.connected} of ${connected} devices back in ${reconnect.seconds} s${r.firstError ? ` (${r.firstError})` : ''}`);
      }
      lg.send({ cmd: 'status' });
      const s = await lg.next('status');
      const held = steps.at(-1);
      return {
        devices: held?.devices ?? 0, rssMb: held?.rssMb ?? 0, target: o.connections,
        loginsPerSecond: connected / (loginMs / 1000), publishesAcked: s.acked, ...(failure ? { failure } : {}), steps, ...(reconnect ? { reconnect } : {}),
      };
    } finally {
      await stopLoadGen(lg);
    }
  });
}
