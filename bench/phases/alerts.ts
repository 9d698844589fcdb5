/** Alert latency (publish → `alert:fired`, and → the webhook received) under a steady background load. */
import { setTimeout as sleep } from 'node:timers/promises';
import { probeAlerts, type ProbeResult } from '../alert-probe.js';
import type { AppUnderTest } from '../app.js';
import { cpuMeter } from '../children.js';
import { SECRET, adminTokenOf, metricDelta, round, type LoadGen } from '../common.js';
import type { BenchOptions } from '../options.js';
import type { LoopHealth } from '../results.js';

/** The app's event loop, GC and CPU while `run` runs, from its own metrics and /proc. */
export async function loopHealth(app: AppUnderTest, influxdPid: number | undefined, run: () => Promise<void>): Promise<LoopHealth> {
  const m0 = await app.metrics();
  const t0 = performance.now();
  const appCpu = cpuMeter(app.pid);
  const influxdCpu = influxdPid ? cpuMeter(influxdPid) : undefined;
  await run();
  const appCpuShare = round(appCpu(), 3);
  const influxdCpuShare = influxdCpu ? round(influxdCpu(), 3) : undefined;
  const s = (performance.now() - t0) / 1000;
  const m1 = await app.metrics();
  const d = (prefix: string) => metricDelta(m0, m1, prefix);
  return {
    appCpuShare,
    ...(influxdCpuShare === undefined ? {} : { influxdCpuShare }),
    eventLoopP99Ms: round((m1.get('nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000, 2),
    eventLoopMaxMs: round((m1.get('nodejs_eventloop_lag_max_seconds') ?? NaN) * 1000, 2),
    gcPauses: d('nodejs_gc_duration_seconds_count'),
    gcMsPerSecond: round((d('nodejs_gc_duration_seconds_sum') * 1000) / s, 2),
    gcPausesOver10ms: d('nodejs_gc_duration_seconds_count') - [...m1].filter(([k]) => k.startsWith('nodejs_gc_duration_seconds_bucket') && k.includes('le="0.01"')).reduce((a, [k, v]) => a + v - (m0.get(k) ?? 0), 0),
    commitsPerSecond: round(d('citysense_spool_commits_total') / s, 1),
    readingsPerCommit: round(d('citysense_readings_accepted_total') / Math.max(1, d('citysense_spool_commits_total')), 1),
  };
}

/** Probes alerts for --alert-duration while the load generator publishes `rate` readings/s. */
export async function alertLatency(o: BenchOptions, app: AppUnderTest, lg: LoadGen, rate: number, influxdPid: number | undefined): Promise<ProbeResult & { loop: LoopHealth }> {
  const warmupMs = 3000;
  lg.send({ cmd: 'rate', rate, durationMs: warmupMs + o.alertDurationS * 1000 + 2000, window: o.window });
  await sleep(warmupMs);
  let result!: ProbeResult;
  const loop = await loopHealth(app, influxdPid, async () => {
    result = await probeAlerts({
      httpUrl: app.httpUrl,
      mqttUrl: `mqtt://127.0.0.1:${app.mqttPort}`,
      adminToken: adminTokenOf(app),
      devices: Array.from({ length: o.alertDevices }, (_, i) => ({ id: `probe-${i}`, password: SECRET })),
      durationMs: o.alertDurationS * 1000,
      webhook: true,
    });
  });
  const ran = await lg.next('ran');
  if (ran.behind > 0) o.log(`  note: the background load fell behind by ${ran.behind} publishes`);
  return { ...result, loop };
}
