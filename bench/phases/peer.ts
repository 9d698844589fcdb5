/**
 * The peer (issue 18, CONTRACT.md section 12): the same readings, from the same load generator, through Mosquitto →
 * Node-RED (node-red-contrib-influxdb 0.7.0) → the same InfluxDB, in two configurations, beside citysense in the same
 * run: readings stored per second under full load, and readings acknowledged but lost, under full load and through a
 * 15 s InfluxDB outage.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppUnderTest } from '../app.js';
import { round, startLoadGen, stopLoadGen, withApp } from '../common.js';
import { startPrivateInfluxd, type PrivateInfluxd } from '../influxd.js';
import type { BenchOptions } from '../options.js';
import { PEER_CONFIGS, type PeerConfig } from '../peer/flows.js';
import { ensurePeerInstalled, startPeer } from '../peer/stack.js';
import type { Peer, PeerSide, PeerTrial } from '../results.js';
import { endToEnd } from './end-to-end.js';

const OUTAGE_S = 15;
/** Load before the outage starts, and after it ends. */
const AROUND_OUTAGE_S = 10;
/** A store whose count has not grown for this long after the load ended holds all it will. */
const QUIET_MS = 5000;
const DRAIN_MAX_MS = 180_000;

async function influxCount(url: string, db: string): Promise<number> {
  const res = await fetch(`${url}/query?db=${encodeURIComponent(db)}&q=${encodeURIComponent('SELECT count(seq) FROM readings')}`);
  const body = (await res.json()) as { results?: Array<{ series?: Array<{ values: Array<[string, number]> }> }> };
  return body.results?.[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

/** Waits until the store holds `expected` readings or its count stopped growing; returns it and when it last grew. */
async function settle(count: () => Promise<number>, expected: number): Promise<{ count: number; lastGrewAt: number }> {
  const deadline = performance.now() + DRAIN_MAX_MS;
  let last = -1;
  let lastGrewAt = performance.now();
  for (;;) {
    const n = await count().catch(() => last);
    if (n > last) {
      last = n;
      lastGrewAt = performance.now();
    }
    if (last >= expected || performance.now() - lastGrewAt > QUIET_MS || performance.now() > deadline) return { count: last, lastGrewAt };
    await sleep(500);
  }
}

const createDb = (influx: PrivateInfluxd, db: string) => fetch(`${influx.url}/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, { method: 'POST' });

/** Publishes at `rate` for the outage run's length, InfluxDB stopped for 15 s in the middle; resolves with the PUBACKs. */
async function throughOutage(o: BenchOptions, influx: PrivateInfluxd, lg: Awaited<ReturnType<typeof startLoadGen>>): Promise<{ acked: number; started: number }> {
  const started = performance.now();
  lg.send({ cmd: 'rate', rate: o.peerRate, durationMs: (2 * AROUND_OUTAGE_S + OUTAGE_S) * 1000, window: o.window });
  await sleep(AROUND_OUTAGE_S * 1000);
  await influx.stop();
  await sleep(OUTAGE_S * 1000);
  await influx.start();
  const ran = await lg.next('ran');
  return { acked: ran.acked, started };
}

const trial = (acked: number, stored: number, seconds: number): PeerTrial => ({ acked, stored, lost: Math.max(0, acked - stored), storedPerSecond: Math.round(stored / seconds) });

/** One peer configuration: full load on a fresh database, then the outage run on another. */
async function peerSide(o: BenchOptions, influx: PrivateInfluxd, config: PeerConfig, t0: number): Promise<PeerSide> {
  const port = Number(new URL(influx.url).port);
  const run = async (what: 'full' | 'outage', t: number) => {
    const db = `peer_${config}_${what}_${Date.now()}`;
    await createDb(influx, db);
    const stack = await startPeer({ config, influxHost: '127.0.0.1', influxPort: port, database: db, batchSize: o.rawBatch, batchTimeoutS: 0.1 }, o.log);
    const lg = await startLoadGen(stack.mqttPort, 'bench', o.devices, t);
    try {
      let acked: number;
      let started: number;
      if (what === 'full') {
        started = performance.now();
        lg.send({ cmd: 'max', durationMs: o.peerDurationS * 1000, window: o.window });
        acked = (await lg.next('ran')).acked;
      } else ({ acked, started } = await throughOutage(o, influx, lg));
      const s = await settle(() => influxCount(influx.url, db), acked);
      return trial(acked, s.count, (s.lastGrewAt - started) / 1000);
    } finally {
      await stopLoadGen(lg);
      await stack.close();
    }
  };
  const fullLoad = await run('full', t0);
  o.log(`  peer (${config}), full load: ${fullLoad.storedPerSecond} stored/s; ${fullLoad.lost} of ${fullLoad.acked} acknowledged readings lost`);
  const outage = await run('outage', t0 - 1);
  o.log(`  peer (${config}), ${OUTAGE_S} s InfluxDB outage at ${o.peerRate}/s: ${outage.lost} of ${outage.acked} acknowledged readings lost`);
  return { fullLoad, outage };
}

/** citysense on the same InfluxDB: the end-to-end maximum (full load), then the outage run. */
async function citysenseSide(o: BenchOptions, influx: PrivateInfluxd, t0: number): Promise<PeerSide> {
  const side = async (what: 'full' | 'outage', t: number) =>
    withApp(o, 'influxdb', influx.url, [{ prefix: 'bench', count: o.devices }], async (app: AppUnderTest) => {
      const lg = await startLoadGen(app.mqttPort, 'bench', o.devices, t);
      try {
        if (what === 'full') {
          const e = await endToEnd({ ...o, durationS: o.peerDurationS }, app, lg, undefined);
          return trial(e.readings, e.counted, e.readings / e.readingsPerSecond);
        }
        const { acked, started } = await throughOutage(o, influx, lg);
        const s = await settle(() => app.countStored(), acked);
        return trial(acked, s.count, (s.lastGrewAt - started) / 1000);
      } finally {
        await stopLoadGen(lg);
      }
    });
  const fullLoad = await side('full', t0 - 2);
  o.log(`  citysense, full load: ${fullLoad.storedPerSecond} stored/s; ${fullLoad.lost} of ${fullLoad.acked} acknowledged readings lost`);
  const outage = await side('outage', t0 - 3);
  o.log(`  citysense, ${OUTAGE_S} s InfluxDB outage at ${o.peerRate}/s: ${outage.lost} of ${outage.acked} acknowledged readings lost`);
  return { fullLoad, outage };
}

/** Runs the peer phase against its own private InfluxDB (it stops and starts it for the outage). */
export async function peer(o: BenchOptions, t0: number): Promise<Peer> {
  const versions = ensurePeerInstalled(o.log);
  o.log(`  Node-RED ${versions.nodeRed} on Node ${versions.node}, node-red-contrib-influxdb ${versions.contrib}, Debian's Mosquitto; a private InfluxDB`);
  const influx = await startPrivateInfluxd();
  try {
    const citysense = await citysenseSide(o, influx, t0);
    const sides = {} as Record<PeerConfig, PeerSide>;
    for (const config of PEER_CONFIGS) sides[config] = await peerSide(o, influx, config, t0 - 10);
    const ratio = round(citysense.fullLoad.storedPerSecond / Math.max(1, sides.tuned.fullLoad.storedPerSecond), 2);
    const peerLost = PEER_CONFIGS.some((c) => sides[c].fullLoad.lost + sides[c].outage.lost > 0);
    const ownLost = citysense.fullLoad.lost + citysense.outage.lost;
    return {
      versions, devices: o.devices, window: o.window, durationS: o.peerDurationS, outage: { seconds: OUTAGE_S, ratePerSecond: o.peerRate, runS: 2 * AROUND_OUTAGE_S + OUTAGE_S },
      citysense, defaults: sides.defaults, tuned: sides.tuned,
      ratioToTuned: ratio, targets: { ratioToTuned: 3 },
      met: { ratio: ratio >= 3, noLoss: ownLost === 0, peerLost },
    };
  } finally {
    await influx.close();
  }
}
