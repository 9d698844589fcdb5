/**
 * The city (issue 18, CONTRACT.md section 12): `cityDevices` authenticated devices held on one node, each publishing
 * a QoS 1 reading every `cityIntervalS` on average, open loop; PUBACK and publish → `alert:fired` latency under that
 * load, the app's RSS, readings stored per second; then `kill -9`, a restart, and the time until all are back.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { probeAlerts, type ProbeResult } from '../alert-probe.js';
import { startApp, type AppUnderTest } from '../app.js';
import { startFleet, type Fleet, type FleetWindow } from '../city/fleet.js';
import { nofileOf, raiseNofile } from '../city/limits.js';
import { cpuSeconds, machineBusySeconds } from '../children.js';
import { SECRET, adminTokenOf, adopt, round, withApp } from '../common.js';
import { freePort } from '../influxd.js';
import type { BenchOptions } from '../options.js';
import type { City, LoopHealth } from '../results.js';
import { loopHealth } from './alerts.js';

export const CITY_TARGETS: City['targets'] = { devices: 100_000, readingsPerSecond: 10_000, rssMb: 4096, pubackP99Ms: 20, alertP99Ms: 10, reconnectS: 60 };
/** Descriptors a process keeps beyond its device connections (SQLite files, HTTP, the store's requests, the probes, Node's own). */
const FD_RESERVE = 1000;
/** Devices not back this long after the kill are reported as not back (the target is 60 s). */
const RECONNECT_MAX_MS = 300_000;

interface Window {
  fleet: FleetWindow;
  loop: LoopHealth;
  probe: ProbeResult & { error?: string };
  rssMb: number;
  stored: number | null;
  cpu: City['cpu'];
}

type Stats = Awaited<ReturnType<AppUnderTest['stats']>>;

/** The app's `/api/stats`, or null when it did not answer within a minute (an overloaded app is a result too). */
const statsOf = (app: AppUnderTest): Promise<Stats | null> => app.stats(60_000).catch(() => null);

/** CPU (shares of one core) over a span: the app's, the generators', the private influxd's, and every other process's. */
function cpuSpan(app: () => AppUnderTest, fleet: Fleet, storePid: number | undefined): () => City['cpu'] {
  const t0 = performance.now();
  const busy0 = machineBusySeconds();
  const gen0 = fleet.cpuSeconds();
  const store0 = storePid ? cpuSeconds(storePid) : 0;
  const first = app();
  const app0 = first.cpuSeconds();
  return () => {
    const s = (performance.now() - t0) / 1000;
    const now = app();
    const appS = now === first ? now.cpuSeconds() - app0 : now.cpuSeconds(); // restarted: all of the new process's
    const genS = fleet.cpuSeconds() - gen0;
    const storeS = storePid ? cpuSeconds(storePid) - store0 : 0;
    return {
      app: round(appS / s, 2), generators: round(genS / s, 2), ...(storePid ? { influxd: round(storeS / s, 2) } : {}),
      other: round(Math.max(0, machineBusySeconds() - busy0 - appS - genS - storeS) / s, 2),
    };
  };
}

/**
 * Starts the fleet publishing and, after the warm-up, measures a window: the probe devices breaching (their
 * connections made before the load, so that a loaded app still gets probed), RSS sampled every second.
 */
async function measure(o: BenchOptions, app: AppUnderTest, fleet: Fleet, intervalS: number, influxdPid: number | undefined): Promise<Window> {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  let started: { s0: Stats | null; cpu: ReturnType<typeof cpuSpan>; loop: Promise<LoopHealth>; t0: number } | undefined;
  let rssMb = 0;
  const begin = async () => {
    fleet.publish(intervalS * 1000);
    await sleep(o.cityWarmupS * 1000);
    fleet.mark();
    started = { s0: await statsOf(app), cpu: cpuSpan(() => app, fleet, influxdPid), loop: loopHealth(app, influxdPid, () => done), t0: performance.now() };
    void (async () => {
      for (let stop = false; !stop; stop = await Promise.race([done.then(() => true), sleep(1000).then(() => false)])) rssMb = Math.max(rssMb, app.rssMb());
    })();
  };
  let probe: Window['probe'] = { p50: 0, p99: 0, max: 0, samples: 0, missed: 0 };
  try {
    probe = await probeAlerts({
      httpUrl: app.httpUrl, mqttUrl: `mqtt://127.0.0.1:${app.mqttPort}`, adminToken: adminTokenOf(app),
      devices: Array.from({ length: o.alertDevices }, (_, i) => ({ id: `probe-${i}`, password: SECRET })),
      durationMs: o.cityDurationS * 1000, ready: begin,
    });
  } catch (err) {
    // A probe that cannot connect or breach is a result, not a reason to stop the phase: the window runs without it.
    probe.error = `the alert probe failed: ${(err as Error).message}`;
    o.log(`  ${probe.error}`);
    if (!started) await begin();
    await sleep(Math.max(0, o.cityDurationS * 1000 - (performance.now() - started!.t0)));
  }
  finish();
  const w = started!;
  const [loop, f, s1] = [await w.loop, await fleet.stats(), await statsOf(app)];
  return {
    fleet: f, loop, probe, rssMb: Math.max(rssMb, app.rssMb()), cpu: w.cpu(),
    stored: s1 && w.s0 ? (s1.readings.stored - w.s0.readings.stored) / (f.elapsedMs / 1000) : null,
  };
}

/** How many devices this machine lets one app process hold, and the generators' share: from the open-file limit. */
function fit(o: BenchOptions): { devices: number; perProcess: number; limitedBy?: string } {
  const limit = raiseNofile(o.cityDevices + o.alertDevices + FD_RESERVE, o.log);
  const room = limit ? Math.max(0, limit.soft - FD_RESERVE) : o.cityDevices;
  const perProcess = Math.max(1, Math.min(o.cityPerProcess, room));
  if (room - o.alertDevices >= o.cityDevices) return { devices: o.cityDevices, perProcess };
  const devices = room - o.alertDevices;
  const limitedBy = `open-file limit (nofile) ${limit!.soft}, hard ${limit!.hard}, not raisable here: one app process holds about ${room} connections`;
  o.log(`  the city runs with ${devices} devices, not ${o.cityDevices}: ${limitedBy}`);
  return { devices, perProcess, limitedBy };
}

/** Runs the city phase on the first of --stores; `influxUrl` is the InfluxDB to use when that is InfluxDB. */
export async function city(o: BenchOptions, influxUrl: string | undefined, influxdPid: number | undefined, t0: number): Promise<City> {
  const { devices: n, perProcess, limitedBy } = fit(o);
  const intervalS = o.cityRate ? n / o.cityRate : o.cityIntervalS;
  const sources = Array.from({ length: Math.ceil(n / o.cityPerSource) }, (_, i) => `127.0.0.${i + 2}`);
  const store = o.stores[0]!;
  const mqttPort = await freePort(); // fixed: after the kill the app comes back where the devices look for it
  o.log(`  registering ${n} devices (keyed SHA-256 secrets) and starting the app on ${store}`);
  const fleets = [{ prefix: 'city', count: n }, { prefix: 'probe', count: o.alertDevices, domain: 'safety', type: 'gas' }];
  return withApp(o, store, influxUrl, fleets, async (first, ctx) => {
    let app = first;
    const fleet = startFleet({
      devices: n, perProcess, host: '127.0.0.1', port: mqttPort, prefix: 'city', password: SECRET, sources, perSource: o.cityPerSource,
      keepaliveS: 60, concurrency: o.cityConcurrency, timeoutMs: 60_000, t0,
    });
    try {
      const storePid = store === 'influxdb' ? influxdPid : undefined;
      const connecting = cpuSpan(() => app, fleet, storePid);
      const c = await fleet.connect(3_600_000);
      const connectCpu = connecting();
      const connectS = round(c.elapsedMs / 1000, 2);
      const rssConnectedMb = round(app.rssMb(), 1);
      o.log(`  ${c.connected} of ${n} devices connected in ${connectS} s (${fleet.processes} generator process(es), ${sources.length} source address(es))${c.firstError ? `; ${c.refused + c.failed} attempts refused or failed and retried, the first: ${c.firstError}` : ''}; app RSS ${Math.round(rssConnectedMb)} MB`);
      o.log(`  publishing; measuring for ${o.cityDurationS} s after a ${o.cityWarmupS} s warm-up: ${Math.round(c.connected / intervalS)} readings/s offered (one every ${round(intervalS, 2)} s per device), ${o.alertDevices} probe devices breaching`);
      const w = await measure(o, app, fleet, intervalS, storePid);
      const f = w.fleet;
      o.log(`  PUBACK p50 ${round(f.pubackP50Ms, 1)} ms, p99 ${round(f.pubackP99Ms, 1)} ms; alert:fired p50 ${round(w.probe.p50, 1)} ms, p99 ${round(w.probe.p99, 1)} ms over ${w.probe.samples}; ${w.stored === null ? 'stored/s unknown (no answer from /api/stats)' : `${Math.round(w.stored)} stored/s`}; app RSS ${Math.round(w.rssMb)} MB, CPU ${Math.round(w.loop.appCpuShare * 100)}%; generators CPU ${Math.round(f.cpuShare * 100)}%, ${Math.round(f.rssMb)} MB; other processes ${Math.round(w.cpu.other * 100)}%`);

      const reconnecting = cpuSpan(() => app, fleet, storePid);
      const killedAt = performance.now();
      await app.kill();
      const back = fleet.reconnect(o.cityConcurrency, 250, RECONNECT_MAX_MS);
      app = adopt(await startApp(ctx.appOptions, 300_000), ctx.adminToken);
      const appUpS = round((performance.now() - killedAt) / 1000, 2);
      const r = await back;
      const seconds = round((performance.now() - killedAt) / 1000, 2);
      const reconnectCpu = reconnecting();
      o.log(`  kill -9 and restart: the app listened again after ${appUpS} s; ${r.connected} of ${c.connected} devices back ${seconds} s after the kill`);
      return {
        devices: c.connected, target: o.cityDevices, ...(limitedBy ? { limitedBy } : {}), store, connectS, connectRetries: c.refused + c.failed, ...(c.firstError ? { firstError: c.firstError } : {}),
        rssMb: round(w.rssMb, 1), connectCpu, rssConnectedMb, intervalS: round(intervalS, 3), durationS: round(f.elapsedMs / 1000, 1),
        offeredPerSecond: Math.round(c.connected / intervalS), ackedPerSecond: Math.round(f.acked / (f.elapsedMs / 1000)), readingsPerSecond: w.stored === null ? null : Math.round(w.stored),
        pubackMs: { p50: round(f.pubackP50Ms, 2), p99: round(f.pubackP99Ms, 2), max: round(f.pubackMaxMs, 2), samples: f.acked },
        alertLatencyMs: {
          p50: round(w.probe.p50, 2), p99: round(w.probe.p99, 2), max: round(w.probe.max, 2), samples: w.probe.samples, missed: w.probe.missed,
          ...(w.probe.error ? { error: w.probe.error } : {}),
        },
        reconnect: { devices: r.connected, seconds, appUpS, cpu: reconnectCpu, ...(r.firstError ? { firstError: r.firstError } : {}) },
        app: { loop: w.loop, nofile: nofileOf(app.pid)?.soft ?? null },
        loadGenerator: { processes: fleet.processes, sources, cpuShare: round(f.cpuShare, 3), rssMb: round(f.rssMb, 1), late: f.late, dropped: f.dropped },
        cpu: w.cpu,
        targets: CITY_TARGETS,
        met: {
          devices: c.connected >= CITY_TARGETS.devices, rss: w.rssMb <= CITY_TARGETS.rssMb, puback: f.pubackP99Ms <= CITY_TARGETS.pubackP99Ms,
          alert: w.probe.samples > 0 && w.probe.p99 <= CITY_TARGETS.alertP99Ms, reconnect: r.connected === c.connected && seconds <= CITY_TARGETS.reconnectS,
        },
      };
    } finally {
      await fleet.close();
      if (app !== first) await app.stop();
    }
  }, { env: { MQTT_PORT: String(mqttPort) } });
}
