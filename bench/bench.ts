/** `npm run bench`'s driver: runs the chosen phases (bench/phases/), --runs times, and summarises them (summary.ts). */
import { childPid, round, startLoadGen, stopLoadGen, withApp } from './common.js';
import { startPrivateInfluxd } from './influxd.js';
import type { BenchOptions, Phase, StoreKind } from './options.js';
import { alertLatency } from './phases/alerts.js';
import { city } from './phases/city.js';
import { peer } from './phases/peer.js';
import { connections } from './phases/connections.js';
import { endToEnd } from './phases/end-to-end.js';
import { memoryRun } from './phases/memory.js';
import { bareBroker, rawStore } from './phases/references.js';
import type { BenchResult } from './results.js';
import { emptyRuns, summarize, type Runs } from './summary.js';

export { DEFAULTS, DEFAULT_PHASES, PHASES, QUICK, type BenchOptions, type Phase, type StoreKind } from './options.js';
export type { BenchResult } from './results.js';

interface Round {
  run: number;
  tag: string;
  t0: number;
  influxUrl: string | undefined;
  influxdPid: number | undefined;
}

const wants = (o: BenchOptions) => (p: Phase) => o.phases.includes(p);

/** The references of one run: the bare broker, then each store's raw writes. */
async function references(o: BenchOptions, x: Round, runs: Runs): Promise<void> {
  const want = wants(o);
  if (want('bare')) {
    o.log(`bare aedes broker, ${o.devices} connections at maximum rate for ${o.durationS} s${x.tag}`);
    const b = await bareBroker(o, x.t0 - x.run);
    o.log(`  ${Math.round(b.deliveredPerSecond)} delivered/s, broker ${Math.round(b.brokerCpuShare * 100)}% of a core (${round(b.brokerCpuUsPerMessage, 1)} µs/message), load generator ${Math.round(b.cpuShare * 100)}%`);
    runs.bare.push(b);
  }
  if (!want('raw')) return;
  for (const store of o.stores) {
    o.log(`raw ${store} writes, batches of ${o.rawBatch}, ${o.rawDurationS} s${x.tag}`);
    const r = await rawStore(o, store, x.influxUrl, x.t0 - x.run);
    if (r.counted !== r.written) o.log(`  note: wrote ${r.written}, the store counts ${r.counted}`);
    o.log(`  ${Math.round(r.counted / (r.elapsedMs / 1000))} readings/s`);
    runs.raw[store].push(r);
  }
}

/** One app on `store`: end to end at the maximum, then (on the alert store) the alert probe and the soak. */
async function appRound(o: BenchOptions, x: Round, store: StoreKind, runs: Runs): Promise<void> {
  const want = wants(o);
  const doAlerts = want('alerts') && store === runs.alertStore;
  const doSoak = o.soakS > 0 && store === runs.alertStore && x.run === 1;
  if (!want('e2e') && !doAlerts && !doSoak) return;
  const fleets = [{ prefix: 'bench', count: o.devices }, { prefix: 'probe', count: o.alertDevices, domain: 'safety', type: 'gas' }];
  await withApp(o, store, x.influxUrl, fleets, async (app) => {
    const lg = await startLoadGen(app.mqttPort, 'bench', o.devices, x.t0 - x.run);
    const storePid = store === 'influxdb' ? x.influxdPid : undefined;
    try {
      let maxRate = runs.e2e[store].at(-1)?.readingsPerSecond ?? 0;
      // A fixed --alert-rate needs no maximum first (unless the soak runs, which is relative to it).
      if (want('e2e') || (maxRate === 0 && (doSoak || (doAlerts && o.alertRate === undefined)))) {
        o.log(`end to end, ${store}: ${o.devices} devices at maximum rate for ${o.durationS} s${x.tag}`);
        const e = await endToEnd(o, app, lg, storePid);
        o.log(`  ${Math.round(e.readingsPerSecond)} stored/s (acked ${Math.round(e.ackedPerSecond)}/s, drained ${round(e.drainS, 1)} s after), counted ${e.counted} of ${e.readings}`);
        o.log(`  ${round(e.appCpuUsPerReading, 1)} µs app CPU per reading; ${Math.round(e.readingsPerCommit)} readings per spool commit; ${e.storeWrites} store writes of ${round(e.storeWriteMs, 1)} ms on average; GC ${Math.round(e.gcMsPerSecond)} ms/s`);
        runs.e2e[store].push(e);
        maxRate = e.readingsPerSecond;
      }
      if (doAlerts) {
        runs.alertRate = o.alertRate ?? maxRate * o.alertLoad;
        o.log(`alert latency under ${Math.round(runs.alertRate)} readings/s (${o.alertRate ? 'fixed' : `${o.alertLoad} × max`}), ${o.alertDurationS} s${x.tag}`);
        const p = await alertLatency(o, app, lg, runs.alertRate, storePid);
        o.log(`  p50 ${round(p.p50, 1)} ms, p99 ${round(p.p99, 1)} ms over ${p.samples} alerts${p.missed ? `, ${p.missed} missed` : ''}`);
        if (p.webhook) o.log(`  webhook received: p50 ${round(p.webhook.p50, 1)} ms, p99 ${round(p.webhook.p99, 1)} ms over ${p.webhook.samples}${p.webhook.missed ? `, ${p.webhook.missed} missed` : ''}`);
        o.log(`  app CPU ${Math.round(p.loop.appCpuShare * 100)}% of a core${p.loop.influxdCpuShare === undefined ? '' : `, influxd ${Math.round(p.loop.influxdCpuShare * 100)}%`}; event loop delay p99 ${p.loop.eventLoopP99Ms} ms, max ${p.loop.eventLoopMaxMs} ms; GC ${p.loop.gcMsPerSecond} ms/s, ${p.loop.gcPausesOver10ms} pauses ≥ 10 ms; ${p.loop.commitsPerSecond} spool commits/s of ${p.loop.readingsPerCommit} readings`);
        runs.probes.push(p);
      }
      if (doSoak) {
        const rate = maxRate * o.soakLoad;
        o.log(`memory over ${o.soakS} s at ${Math.round(rate)} readings/s (${o.soakLoad} × max)`);
        runs.memory = await memoryRun(o, app, lg, rate);
        o.log(`  RSS ${runs.memory.baselineRssMb} → ${runs.memory.finalRssMb} MB (${round(runs.memory.growth * 100, 1)}%)`);
      }
    } finally {
      await stopLoadGen(lg);
    }
  });
}

/** Runs the benchmark's phases and returns every figure. */
export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const want = wants(o);
  const needInflux = o.stores.includes('influxdb') && (want('raw') || want('e2e') || want('alerts') || (want('city') && o.stores[0] === 'influxdb'));
  const privateInflux = needInflux && !o.influxUrl ? await startPrivateInfluxd() : undefined;
  const influxUrl = o.influxUrl ?? privateInflux?.url;
  const influxdPid = privateInflux ? childPid('influxd') : undefined;
  if (privateInflux) o.log(`private InfluxDB (Debian influxd) at ${influxUrl}`);
  // Event times start a minute back: every reading's time is distinct and never runs into the future.
  const t0 = Date.now() - 60_000;
  const runs = emptyRuns(o);
  try {
    for (let run = 1; run <= o.runs; run++) {
      const x: Round = { run, tag: o.runs > 1 ? ` (run ${run} of ${o.runs})` : '', t0, influxUrl, influxdPid };
      await references(o, x, runs);
      for (const store of o.stores) await appRound(o, x, store, runs);
    }
    if (want('connections')) {
      o.log(`connections: up to ${o.connections} devices in steps of ${o.connectionStep}, each publishing every ${o.publishIntervalS} s`);
      runs.connections = await connections(o, t0);
    }
    if (want('city')) {
      const pace = o.cityRate ? `${o.cityRate} QoS 1 readings/s in all` : `each a QoS 1 reading every ${o.cityIntervalS} s on average`;
      o.log(`city: ${o.cityDevices} devices on ${o.stores[0]}, ${pace} (open loop), then kill -9 and a restart`);
      runs.city = await city(o, influxUrl, influxdPid, t0);
    }
    if (want('peer')) {
      o.log(`peer: the same readings through Mosquitto → Node-RED → InfluxDB (defaults, tuned) beside citysense: full load for ${o.peerDurationS} s, then a 15 s InfluxDB outage at ${o.peerRate}/s`);
      runs.peer = await peer(o, t0);
    }
  } finally {
    await privateInflux?.close();
  }
  return summarize(o, runs);
}
