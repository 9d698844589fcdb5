/** End to end at the maximum: QoS 1 publishes as fast as the window allows → stored, counted in the store. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppUnderTest } from '../app.js';
import { cpuMeter, cpuSeconds, machineBusySeconds } from '../children.js';
import { metricDelta, type LoadGen } from '../common.js';
import type { BenchOptions } from '../options.js';
import type { EndToEnd } from '../results.js';

/** Resolves (with the time) once the app's stored counter reached `n`. */
export async function waitStored(app: AppUnderTest, n: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const s = await app.stats();
    if (s.readings.stored >= n) return performance.now();
    if (performance.now() > deadline) throw new Error(`the store holds ${s.readings.stored} of ${n} readings after ${timeoutMs} ms (spool backlog ${s.spool.backlog})`);
    await sleep(100);
  }
}

/** One maximum-rate run through `lg`'s connections, then until the store holds every acknowledged reading. */
export async function endToEnd(o: BenchOptions, app: AppUnderTest, lg: LoadGen, influxdPid: number | undefined): Promise<EndToEnd> {
  const log = o.log;
  const before = await app.stats();
  const m0 = await app.metrics();
  const appCpu = cpuMeter(app.pid);
  const appCpu0 = app.cpuSeconds();
  const influxCpu = influxdPid ? cpuMeter(influxdPid) : undefined;
  const busy0 = machineBusySeconds();
  const lgCpu0 = cpuSeconds(lg.proc.pid!);
  const started = performance.now();
  lg.send({ cmd: 'max', durationMs: o.durationS * 1000, window: o.window });
  const ran = await lg.next('ran');
  const ackedAt = performance.now();
  const target = before.readings.stored + ran.acked;
  const doneAt = await waitStored(app, target, 300_000);
  const appCpuShare = appCpu();
  const influxdCpuShare = influxCpu?.();
  const wallS = (performance.now() - started) / 1000;
  const ours = app.cpuSeconds() - appCpu0 + (cpuSeconds(lg.proc.pid!) - lgCpu0) + (influxdCpuShare ?? 0) * wallS;
  const otherCpuShare = Math.max(0, (machineBusySeconds() - busy0 - ours) / wallS);
  if (otherCpuShare > 0.1) log(`  note: other processes used ${Math.round(otherCpuShare * 100)}% of a core during this run; its figures are lower than a quiet machine gives`);
  const rss = app.rssMb();
  const after = await app.stats();
  const refused = Object.values(after.readings.refused).reduce((a, b) => a + b, 0) - Object.values(before.readings.refused).reduce((a, b) => a + b, 0);
  const counted = await app.countStored();
  const m1 = await app.metrics();
  const delta = (k: string) => (m1.get(k) ?? 0) - (m0.get(k) ?? 0);
  const writes = delta('citysense_store_write_seconds_count');
  return {
    readingsPerSecond: ran.acked / ((doneAt - started) / 1000),
    ackedPerSecond: ran.acked / (ran.elapsedMs / 1000),
    readings: ran.acked,
    counted,
    refused,
    ackP50Ms: ran.ackP50Ms,
    ackP99Ms: ran.ackP99Ms,
    appCpuShare,
    ...(influxdCpuShare !== undefined ? { influxdCpuShare } : {}),
    loadGenCpuShare: ran.cpuShare,
    appCpuUsPerReading: ((app.cpuSeconds() - appCpu0) * 1e6) / ran.acked,
    otherCpuShare,
    drainS: Math.max(0, (doneAt - ackedAt) / 1000),
    readingsPerCommit: delta('citysense_readings_accepted_total') / Math.max(1, delta('citysense_spool_commits_total')),
    storeWriteMs: (1000 * delta('citysense_store_write_seconds_sum')) / Math.max(1, writes),
    storeWrites: writes,
    gcMsPerSecond: (1000 * metricDelta(m0, m1, 'nodejs_gc_duration_seconds_sum')) / wallS,
    gcPausesPerSecond: metricDelta(m0, m1, 'nodejs_gc_duration_seconds_count') / wallS,
    appRssMb: rss,
  };
}
